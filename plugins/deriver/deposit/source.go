package deposit

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Source-hash domains. A source hash is keccak256(bytes32(domain) ++ inner).
const (
	// DomainUserDeposit: inner = keccak256(l1BlockHash ++ uint256(logIndex)).
	DomainUserDeposit uint64 = 0
	// DomainL1Info: inner = keccak256(l1BlockHash ++ uint256(seqNumber)).
	DomainL1Info uint64 = 1
	// DomainUpgrade: inner = keccak256(intent).
	DomainUpgrade uint64 = 2
)

func word(v uint64) []byte {
	var w [32]byte
	binary.BigEndian.PutUint64(w[24:], v)
	return w[:]
}

func domainHash(domain uint64, inner common.Hash) common.Hash {
	return crypto.Keccak256Hash(word(domain), inner[:])
}

// UserDepositSource is the source hash of a user deposit: the log at
// logIndex (counted over the whole L1 block) of the L1 block l1BlockHash.
func UserDepositSource(l1BlockHash common.Hash, logIndex uint64) common.Hash {
	return domainHash(DomainUserDeposit, crypto.Keccak256Hash(l1BlockHash[:], word(logIndex)))
}

// L1InfoDepositSource is the source hash of the L1-info deposit of the L2
// block with sequence number seqNumber in the epoch of l1BlockHash.
func L1InfoDepositSource(l1BlockHash common.Hash, seqNumber uint64) common.Hash {
	return domainHash(DomainL1Info, crypto.Keccak256Hash(l1BlockHash[:], word(seqNumber)))
}

// UpgradeDepositSource is the source hash of a network-upgrade deposit with
// the given intent string.
func UpgradeDepositSource(intent string) common.Hash {
	return domainHash(DomainUpgrade, crypto.Keccak256Hash([]byte(intent)))
}
