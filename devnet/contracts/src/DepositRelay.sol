// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Portal} from "./Portal.sol";

/// @title DepositRelay
/// @notice Deposits through the portal from a contract, so the deposit's
/// L2 sender is the relay's aliased address. Tests use it to check the
/// aliasing; it is not part of the devnet's genesis.
contract DepositRelay {
    Portal public immutable portal;

    constructor(Portal _portal) {
        portal = _portal;
    }

    /// @notice Forwards the call, and the ETH sent with it, to the portal.
    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes calldata _data)
        external
        payable
    {
        portal.depositTransaction{value: msg.value}(_to, _value, _gasLimit, _isCreation, _data);
    }
}
