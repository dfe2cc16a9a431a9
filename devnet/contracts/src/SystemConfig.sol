// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title SystemConfig
/// @notice The devnet's L1 system config. Each setter stores the new value
/// and emits ConfigUpdate in the OP Stack format (event version 0), which
/// derivation applies to the L2 system config. Only the owner may change
/// anything; the values are not range-checked, so tests can hand
/// derivation any update, including ones it must reject.
/// @dev Every stored value takes a whole slot (slots 0..8 in declaration
/// order), so the Go side can write the genesis storage without a layout
/// file. Do not reorder or insert state variables.
contract SystemConfig {
    /// @notice topic1 of every ConfigUpdate.
    uint256 public constant VERSION = 0;

    /// @notice The storage slot of the unsafe block signer, where the p2p
    /// layer reads it: keccak256("systemconfig.unsafeblocksigner").
    bytes32 public constant UNSAFE_BLOCK_SIGNER_SLOT = keccak256("systemconfig.unsafeblocksigner");

    /// @notice Update types (topic2).
    uint8 internal constant BATCHER = 0;
    uint8 internal constant FEE_SCALARS = 1;
    uint8 internal constant GAS_LIMIT = 2;
    uint8 internal constant UNSAFE_BLOCK_SIGNER = 3;
    uint8 internal constant EIP_1559_PARAMS = 4;
    uint8 internal constant OPERATOR_FEE_PARAMS = 5;
    uint8 internal constant MIN_BASE_FEE = 6;
    uint8 internal constant DA_FOOTPRINT_GAS_SCALAR = 7;

    address public owner; // slot 0
    bytes32 public batcherHash; // slot 1: version 0 ‖ 11 zero bytes ‖ address
    uint256 public overhead; // slot 2: pre-Ecotone L1 fee overhead
    uint256 public scalar; // slot 3: L1 fee scalar, versioned from Ecotone
    uint256 public gasLimit; // slot 4
    uint256 public eip1559Params; // slot 5: denominator << 32 | elasticity
    uint256 public operatorFeeParams; // slot 6: scalar << 64 | constant
    uint256 public minBaseFee; // slot 7
    uint256 public daFootprintGasScalar; // slot 8

    event ConfigUpdate(uint256 indexed version, uint8 indexed updateType, bytes data);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    modifier onlyOwner() {
        require(msg.sender == owner, "SystemConfig: caller is not the owner");
        _;
    }

    /// @notice Sets the owner when deployed by a transaction; the devnet's
    /// genesis writes the storage directly instead.
    constructor(address _owner) {
        owner = _owner;
    }

    function transferOwnership(address _newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, _newOwner);
        owner = _newOwner;
    }

    /// @notice The address the sequencer signs unsafe blocks with.
    function unsafeBlockSigner() external view returns (address signer) {
        bytes32 slot = UNSAFE_BLOCK_SIGNER_SLOT;
        assembly {
            signer := sload(slot)
        }
    }

    /// @notice Type 0: the address whose transactions to the batch inbox
    /// derivation reads.
    function setBatcherHash(address _batcher) external onlyOwner {
        batcherHash = bytes32(uint256(uint160(_batcher)));
        _emit(BATCHER, abi.encode(batcherHash));
    }

    /// @notice Type 1 with a raw overhead and scalar, as before Ecotone.
    function setGasConfig(uint256 _overhead, uint256 _scalar) external onlyOwner {
        overhead = _overhead;
        scalar = _scalar;
        _emit(FEE_SCALARS, abi.encode(_overhead, _scalar));
    }

    /// @notice Type 1 with a version-1 scalar: byte 0 = 1, blob base fee
    /// scalar in bytes 24..27, base fee scalar in bytes 28..31. The
    /// overhead is no longer used and is sent as zero.
    function setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) external onlyOwner {
        overhead = 0;
        scalar = (uint256(1) << 248) | (uint256(_blobbasefeeScalar) << 32) | uint256(_basefeeScalar);
        _emit(FEE_SCALARS, abi.encode(uint256(0), scalar));
    }

    /// @notice Type 2: the L2 block gas limit.
    function setGasLimit(uint64 _gasLimit) external onlyOwner {
        gasLimit = _gasLimit;
        _emit(GAS_LIMIT, abi.encode(uint256(_gasLimit)));
    }

    /// @notice Type 3: the unsafe block signer, also kept at its fixed slot.
    function setUnsafeBlockSigner(address _signer) external onlyOwner {
        bytes32 slot = UNSAFE_BLOCK_SIGNER_SLOT;
        assembly {
            sstore(slot, _signer)
        }
        _emit(UNSAFE_BLOCK_SIGNER, abi.encode(_signer));
    }

    /// @notice Type 4 (Holocene): the L2's EIP-1559 parameters.
    function setEIP1559Params(uint32 _denominator, uint32 _elasticity) external onlyOwner {
        eip1559Params = (uint256(_denominator) << 32) | uint256(_elasticity);
        _emit(EIP_1559_PARAMS, abi.encode(eip1559Params));
    }

    /// @notice Type 5 (Isthmus): the operator fee, scalar in payload bytes
    /// 20..23 and constant in bytes 24..31.
    function setOperatorFeeScalars(uint32 _operatorFeeScalar, uint64 _operatorFeeConstant) external onlyOwner {
        operatorFeeParams = (uint256(_operatorFeeScalar) << 64) | uint256(_operatorFeeConstant);
        _emit(OPERATOR_FEE_PARAMS, abi.encode(operatorFeeParams));
    }

    /// @notice Type 6 (Jovian): the L2 base fee floor.
    function setMinBaseFee(uint64 _minBaseFee) external onlyOwner {
        minBaseFee = _minBaseFee;
        _emit(MIN_BASE_FEE, abi.encode(uint256(_minBaseFee)));
    }

    /// @notice Type 7 (Jovian): the DA footprint gas scalar; 0 means the
    /// protocol default.
    function setDAFootprintGasScalar(uint16 _daFootprintGasScalar) external onlyOwner {
        daFootprintGasScalar = _daFootprintGasScalar;
        _emit(DA_FOOTPRINT_GAS_SCALAR, abi.encode(uint256(_daFootprintGasScalar)));
    }

    /// @dev The event's data is abi.encode(bytes payload): offset 32,
    /// length, payload.
    function _emit(uint8 _updateType, bytes memory _payload) internal {
        emit ConfigUpdate(VERSION, _updateType, _payload);
    }
}
