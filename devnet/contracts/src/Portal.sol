// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Portal
/// @notice The devnet's deposit contract on L1. Every deposit emits
/// TransactionDeposited in the OptimismPortal format (event version 0), so
/// the rollup node derives an L2 deposit transaction from it. The portal
/// keeps the ETH it receives: the devnet has no withdrawals.
contract Portal {
    /// @notice The only opaqueData layout there is: mint ‖ value ‖ gas ‖
    /// isCreation ‖ data, packed.
    uint256 public constant DEPOSIT_VERSION = 0;

    /// @notice L1 contracts are seen on L2 at their address plus this
    /// offset (mod 2^160), so an L1 contract cannot pose as the L2 account
    /// with the same address.
    uint160 public constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice The gas one L1 block may buy on L2 through deposits. Without
    /// a cap, deposits that do not fit in an L2 block would stop the chain.
    uint64 public constant MAX_GAS_PER_BLOCK = 20_000_000;

    /// @notice The largest calldata a deposit may carry.
    uint64 public constant MAX_DATA_SIZE = 120_000;

    /// @notice The L2 gas bought by deposits in one L1 block.
    /// @dev Both fields share a slot, so metering writes one slot whether
    /// or not the block changed, and a gas estimate made against the
    /// previous block holds for the next one.
    struct Meter {
        uint64 blockNumber;
        uint192 gasUsed;
    }

    Meter public meter;

    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);

    /// @notice Plain ETH sent to the portal is deposited to the sender's own
    /// address on L2.
    receive() external payable {
        depositTransaction(msg.sender, msg.value, 100_000, false, bytes(""));
    }

    /// @notice Sends a transaction to L2. The ETH sent with this call is
    /// minted on L2 to the sender before the deposit runs; _value is what
    /// the deposit transfers to _to out of the sender's L2 balance.
    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes memory _data)
        public
        payable
    {
        require(!_isCreation || _to == address(0), "Portal: _to must be zero for a creation");
        require(_data.length <= MAX_DATA_SIZE, "Portal: data too large");
        require(_gasLimit >= minimumGasLimit(uint64(_data.length)), "Portal: gas limit too small");
        _meter(_gasLimit);

        address from = msg.sender;
        if (msg.sender != tx.origin) {
            unchecked {
                from = address(uint160(msg.sender) + ALIAS_OFFSET);
            }
        }
        bytes memory opaqueData = abi.encodePacked(msg.value, _value, _gasLimit, _isCreation, _data);
        emit TransactionDeposited(from, _to, DEPOSIT_VERSION, opaqueData);
    }

    /// @notice The least gas a deposit with _byteCount bytes of data may
    /// ask for: enough to pay for its calldata on L2.
    function minimumGasLimit(uint64 _byteCount) public pure returns (uint64) {
        return _byteCount * 40 + 21_000;
    }

    /// @dev Counts the deposit's gas against the current block's budget.
    function _meter(uint64 _gasLimit) internal {
        Meter memory m = meter;
        if (m.blockNumber != block.number) {
            m.blockNumber = uint64(block.number);
            m.gasUsed = 0;
        }
        m.gasUsed += _gasLimit;
        require(m.gasUsed <= MAX_GAS_PER_BLOCK, "Portal: block deposit gas exhausted");
        meter = m;
    }
}
