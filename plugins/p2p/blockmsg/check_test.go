package blockmsg

import (
	"crypto/sha256"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// headerBlock builds a block header of the version's shape with go-ethereum
// computing the roots from typed transactions and withdrawals, and the
// payload that carries it; BlockHash must give the header's hash.
func headerBlock(t *testing.T, v Version, withdrawals []*types.Withdrawal) (*types.Header, *eth.ExecutionPayloadEnvelope) {
	t.Helper()
	key, err := crypto.ToECDSA(common.FromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"))
	if err != nil {
		t.Fatal(err)
	}
	signer := types.LatestSignerForChainID(big.NewInt(901))
	to := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	txs := []*types.Transaction{
		types.MustSignNewTx(key, signer, &types.LegacyTx{Nonce: 0, GasPrice: big.NewInt(7), Gas: 21000, To: &to, Value: big.NewInt(1)}),
		types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(901), Nonce: 1, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(9), Gas: 50000, To: &to, Data: []byte{1, 2, 3}}),
	}
	h := &types.Header{
		ParentHash:  common.HexToHash("0x01"),
		UncleHash:   types.EmptyUncleHash,
		Coinbase:    common.HexToAddress("0x4200000000000000000000000000000000000011"),
		Root:        common.HexToHash("0x02"),
		TxHash:      types.DeriveSha(types.Transactions(txs), trie.NewStackTrie(nil)),
		ReceiptHash: common.HexToHash("0x03"),
		Difficulty:  big.NewInt(0),
		Number:      big.NewInt(12345),
		GasLimit:    30_000_000,
		GasUsed:     71_000,
		Time:        1_750_000_000,
		Extra:       []byte{1, 0, 0, 0, 250, 0, 0, 0, 6},
		MixDigest:   common.HexToHash("0x04"),
		BaseFee:     big.NewInt(1_000_000_007),
	}
	h.Bloom[7] = 0x80
	payload := &eth.ExecutionPayload{
		ParentHash: h.ParentHash, FeeRecipient: h.Coinbase, StateRoot: h.Root, ReceiptsRoot: h.ReceiptHash,
		LogsBloom: h.Bloom, PrevRandao: h.MixDigest, BlockNumber: h.Number.Uint64(), GasLimit: h.GasLimit,
		GasUsed: h.GasUsed, Timestamp: h.Time, ExtraData: h.Extra, BaseFeePerGas: h.BaseFee,
	}
	for _, tx := range txs {
		raw, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		payload.Transactions = append(payload.Transactions, raw)
	}
	env := &eth.ExecutionPayloadEnvelope{ExecutionPayload: payload}
	if v.HasWithdrawals() {
		payload.Withdrawals = withdrawals
		root := types.DeriveSha(types.Withdrawals(withdrawals), trie.NewStackTrie(nil))
		h.WithdrawalsHash = &root
	}
	if v.HasBlobGas() {
		h.BlobGasUsed, h.ExcessBlobGas = u64p(0), u64p(0)
		h.ParentBeaconRoot = hashp(common.HexToHash("0x05"))
		payload.BlobGasUsed, payload.ExcessBlobGas = u64p(0), u64p(0)
		env.ParentBeaconBlockRoot = hashp(*h.ParentBeaconRoot)
	}
	if v.HasWithdrawalsRoot() {
		storageRoot := common.HexToHash("0x06")
		h.WithdrawalsHash = hashp(storageRoot)
		h.RequestsHash = hashp(types.EmptyRequestsHash)
		payload.WithdrawalsRoot = hashp(storageRoot)
	}
	payload.BlockHash = h.Hash()
	return h, env
}

func TestBlockHashMatchesHeader(t *testing.T) {
	for _, v := range Versions {
		h, env := headerBlock(t, v, []*types.Withdrawal{})
		got, err := BlockHash(env, nil)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if got != h.Hash() {
			t.Fatalf("%s: BlockHash %s, header hash %s", v, got, h.Hash())
		}
		// The body travels and still hashes the same.
		dec, err := UnmarshalBody(mustMarshal(t, env, v), v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if got, err := BlockHash(dec, nil); err != nil || got != h.Hash() {
			t.Fatalf("%s: decoded BlockHash %s, %v", v, got, err)
		}
		if err := CheckFields(dec, v, nil); err != nil {
			t.Fatalf("%s: CheckFields: %v", v, err)
		}
	}
}

// The Isthmus requests hash is the hash of no requests: sha256 of nothing.
func TestEmptyRequestsHash(t *testing.T) {
	if want := common.Hash(sha256.Sum256(nil)); types.EmptyRequestsHash != want {
		t.Fatalf("EmptyRequestsHash %s, want sha256(\"\") %s", types.EmptyRequestsHash, want)
	}
}

// op-node takes the header shape from the fields present. With a
// withdrawalsRoot the withdrawals list is not hashed, so a V4 block with a
// withdrawal keeps its hash and only CheckFields refuses it; without one (the
// V2 and V3 layouts) the withdrawal changes the hash.
func TestBlockHashWithdrawals(t *testing.T) {
	w := &types.Withdrawal{Index: 1, Validator: 2, Address: common.Address{3}, Amount: 4}

	_, env := headerBlock(t, V4, []*types.Withdrawal{})
	env.ExecutionPayload.Withdrawals = []*types.Withdrawal{w}
	if _, err := BlockHash(env, nil); err != nil {
		t.Fatalf("v4 with a withdrawal: BlockHash %v, want the hash to stay valid", err)
	}
	if err := CheckFields(env, V4, nil); !errors.Is(err, ErrFields) {
		t.Fatalf("v4 with a withdrawal: CheckFields %v, want ErrFields", err)
	}

	for _, v := range []Version{V2, V3} {
		_, env := headerBlock(t, v, []*types.Withdrawal{})
		env.ExecutionPayload.Withdrawals = []*types.Withdrawal{w}
		if _, err := BlockHash(env, nil); !errors.Is(err, ErrBlockHash) {
			t.Fatalf("%s with an added withdrawal: BlockHash %v, want ErrBlockHash", v, err)
		}
		// A block built with the withdrawal hashes right, and CheckFields
		// refuses it.
		_, env = headerBlock(t, v, []*types.Withdrawal{w})
		if _, err := BlockHash(env, nil); err != nil {
			t.Fatalf("%s built with a withdrawal: %v", v, err)
		}
		if err := CheckFields(env, v, nil); !errors.Is(err, ErrFields) {
			t.Fatalf("%s with a withdrawal: CheckFields %v, want ErrFields", v, err)
		}
	}
}

// Flipping any hashed field, or the blockHash itself, is a mismatch.
func TestBlockHashMismatch(t *testing.T) {
	type flip struct {
		name string
		v    Version
		do   func(e *eth.ExecutionPayloadEnvelope)
	}
	p := func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayload { return e.ExecutionPayload }
	flips := []flip{
		{"blockHash", V1, func(e *eth.ExecutionPayloadEnvelope) { p(e).BlockHash[0] ^= 1 }},
		{"parentHash", V1, func(e *eth.ExecutionPayloadEnvelope) { p(e).ParentHash[31] ^= 1 }},
		{"feeRecipient", V2, func(e *eth.ExecutionPayloadEnvelope) { p(e).FeeRecipient[0] ^= 1 }},
		{"stateRoot", V3, func(e *eth.ExecutionPayloadEnvelope) { p(e).StateRoot[5] ^= 1 }},
		{"receiptsRoot", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).ReceiptsRoot[5] ^= 1 }},
		{"logsBloom", V1, func(e *eth.ExecutionPayloadEnvelope) { p(e).LogsBloom[255] ^= 1 }},
		{"prevRandao", V2, func(e *eth.ExecutionPayloadEnvelope) { p(e).PrevRandao[0] ^= 1 }},
		{"blockNumber", V3, func(e *eth.ExecutionPayloadEnvelope) { p(e).BlockNumber++ }},
		{"gasLimit", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).GasLimit++ }},
		{"gasUsed", V1, func(e *eth.ExecutionPayloadEnvelope) { p(e).GasUsed-- }},
		{"timestamp", V2, func(e *eth.ExecutionPayloadEnvelope) { p(e).Timestamp++ }},
		{"extraData", V3, func(e *eth.ExecutionPayloadEnvelope) { p(e).ExtraData[0] ^= 1 }},
		{"baseFee", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).BaseFeePerGas = big.NewInt(1) }},
		{"a transaction byte", V1, func(e *eth.ExecutionPayloadEnvelope) { p(e).Transactions[1][10] ^= 1 }},
		{"a dropped transaction", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).Transactions = p(e).Transactions[:1] }},
		{"blobGasUsed", V3, func(e *eth.ExecutionPayloadEnvelope) { p(e).BlobGasUsed = u64p(1) }},
		{"excessBlobGas", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).ExcessBlobGas = u64p(1) }},
		{"parentBeaconBlockRoot", V3, func(e *eth.ExecutionPayloadEnvelope) { e.ParentBeaconBlockRoot[0] ^= 1 }},
		{"withdrawalsRoot", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).WithdrawalsRoot[0] ^= 1 }},
		{"no withdrawals list on v2", V2, func(e *eth.ExecutionPayloadEnvelope) { p(e).Withdrawals = nil }},
		{"no withdrawalsRoot on v4", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).WithdrawalsRoot = nil }},
	}
	for _, f := range flips {
		t.Run(f.name, func(t *testing.T) {
			_, env := headerBlock(t, f.v, []*types.Withdrawal{})
			want := env.ExecutionPayload.BlockHash
			f.do(env)
			got, err := BlockHash(env, nil)
			if !errors.Is(err, ErrBlockHash) {
				t.Fatalf("err %v, want ErrBlockHash", err)
			}
			if f.name != "blockHash" && got == want {
				t.Fatalf("rebuilt hash unchanged: %s", got)
			}
		})
	}
}

// A flipped byte of the V3 vector's body is refused: at decode, or by the
// block hash.
func TestBlockHashVectorFlip(t *testing.T) {
	g := loadGossipVectors(t)
	_, body, err := Decode(g.V3.SnappyCompressed)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{0, 31, 32, 100, 32 + 404, 32 + 440, 32 + 472, 32 + 512} {
		b := append([]byte{}, body...)
		b[off] ^= 0x01
		env, err := UnmarshalBody(b, V3)
		if err != nil {
			t.Fatalf("byte %d: %v", off, err)
		}
		if _, err := BlockHash(env, nil); !errors.Is(err, ErrBlockHash) {
			t.Errorf("byte %d flipped: BlockHash %v, want ErrBlockHash", off, err)
		}
	}
}

func TestBlockHashBadInput(t *testing.T) {
	for name, env := range map[string]*eth.ExecutionPayloadEnvelope{
		"nil envelope":  nil,
		"nil payload":   {},
		"negative fee":  {ExecutionPayload: &eth.ExecutionPayload{BaseFeePerGas: big.NewInt(-1)}},
		"fee of 2^256 ": {ExecutionPayload: &eth.ExecutionPayload{BaseFeePerGas: new(big.Int).Lsh(big.NewInt(1), 256)}},
	} {
		if _, err := BlockHash(env, nil); !errors.Is(err, ErrBlockHash) {
			t.Errorf("%s: %v, want ErrBlockHash", name, err)
		}
	}
	// A nil base fee hashes as zero.
	_, env := headerBlock(t, V1, nil)
	env.ExecutionPayload.BaseFeePerGas = big.NewInt(0)
	zero, _ := BlockHash(env, nil)
	env.ExecutionPayload.BaseFeePerGas = nil
	if got, _ := BlockHash(env, nil); got != zero {
		t.Errorf("nil base fee hashes to %s, zero to %s", got, zero)
	}
}

func TestCheckFields(t *testing.T) {
	jovianAt := uint64(2_000_000_000)
	cfg := &rollup.Config{JovianTime: &jovianAt}
	p := func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayload { return e.ExecutionPayload }
	cases := []struct {
		name string
		v    Version
		do   func(e *eth.ExecutionPayloadEnvelope)
		ok   bool
	}{
		{"v1 valid", V1, func(*eth.ExecutionPayloadEnvelope) {}, true},
		{"v2 valid", V2, func(*eth.ExecutionPayloadEnvelope) {}, true},
		{"v3 valid", V3, func(*eth.ExecutionPayloadEnvelope) {}, true},
		{"v4 valid", V4, func(*eth.ExecutionPayloadEnvelope) {}, true},

		{"v1 with an empty withdrawals list", V1, func(e *eth.ExecutionPayloadEnvelope) { p(e).Withdrawals = []*types.Withdrawal{} }, false},
		{"v2 with no withdrawals list", V2, func(e *eth.ExecutionPayloadEnvelope) { p(e).Withdrawals = nil }, false},
		{"v3 with no withdrawals list", V3, func(e *eth.ExecutionPayloadEnvelope) { p(e).Withdrawals = nil }, false},
		{"v2 with a withdrawal", V2, func(e *eth.ExecutionPayloadEnvelope) { p(e).Withdrawals = []*types.Withdrawal{{}} }, false},
		{"v4 with a withdrawal", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).Withdrawals = []*types.Withdrawal{{}} }, false},

		{"v1 with blobGasUsed", V1, func(e *eth.ExecutionPayloadEnvelope) { p(e).BlobGasUsed = u64p(0) }, false},
		{"v2 with excessBlobGas", V2, func(e *eth.ExecutionPayloadEnvelope) { p(e).ExcessBlobGas = u64p(0) }, false},

		{"v3 with no blobGasUsed", V3, func(e *eth.ExecutionPayloadEnvelope) { p(e).BlobGasUsed = nil }, false},
		{"v3 with blobGasUsed 1 before Jovian", V3, func(e *eth.ExecutionPayloadEnvelope) { p(e).BlobGasUsed = u64p(1) }, false},
		{"v4 with blobGasUsed 1 before Jovian", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).BlobGasUsed = u64p(1) }, false},
		{"v4 with blobGasUsed from Jovian", V4, func(e *eth.ExecutionPayloadEnvelope) {
			p(e).BlobGasUsed = u64p(123_456)
			p(e).Timestamp = jovianAt
		}, true},
		{"v4 with no blobGasUsed from Jovian", V4, func(e *eth.ExecutionPayloadEnvelope) {
			p(e).BlobGasUsed = nil
			p(e).Timestamp = jovianAt
		}, false},
		{"v3 with blobGasUsed 1 one second before Jovian", V3, func(e *eth.ExecutionPayloadEnvelope) {
			p(e).BlobGasUsed = u64p(1)
			p(e).Timestamp = jovianAt - 1
		}, false},

		{"v3 with excessBlobGas 1", V3, func(e *eth.ExecutionPayloadEnvelope) { p(e).ExcessBlobGas = u64p(1) }, false},
		{"v4 with excessBlobGas 1 from Jovian", V4, func(e *eth.ExecutionPayloadEnvelope) {
			p(e).ExcessBlobGas = u64p(1)
			p(e).Timestamp = jovianAt
		}, false},
		{"v4 with no excessBlobGas", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).ExcessBlobGas = nil }, false},

		{"v3 with no beacon root", V3, func(e *eth.ExecutionPayloadEnvelope) { e.ParentBeaconBlockRoot = nil }, false},
		{"v4 with no beacon root", V4, func(e *eth.ExecutionPayloadEnvelope) { e.ParentBeaconBlockRoot = nil }, false},
		{"v4 with no withdrawalsRoot", V4, func(e *eth.ExecutionPayloadEnvelope) { p(e).WithdrawalsRoot = nil }, false},
		{"v4 with the empty-trie withdrawalsRoot", V4, func(e *eth.ExecutionPayloadEnvelope) {
			p(e).WithdrawalsRoot = hashp(types.EmptyWithdrawalsHash)
		}, true},

		{"nil payload", V2, func(e *eth.ExecutionPayloadEnvelope) { e.ExecutionPayload = nil }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := sampleEnvelope(c.v)
			c.do(env)
			err := CheckFields(env, c.v, cfg)
			if c.ok {
				if err != nil {
					t.Fatalf("CheckFields: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrFields) {
				t.Fatalf("CheckFields: %v, want ErrFields", err)
			}
			t.Log(err)
		})
	}
}

// Without a config no fork is active, so a non-zero blobGasUsed is refused.
func TestCheckFieldsNilConfig(t *testing.T) {
	env := sampleEnvelope(V4)
	env.ExecutionPayload.BlobGasUsed = u64p(1)
	if err := CheckFields(env, V4, nil); !errors.Is(err, ErrFields) {
		t.Fatalf("CheckFields: %v, want ErrFields", err)
	}
}

// op-node checks the rules in order and reports the first broken one.
func TestCheckFieldsOrder(t *testing.T) {
	env := sampleEnvelope(V4)
	env.ExecutionPayload.Withdrawals = []*types.Withdrawal{{}}
	env.ExecutionPayload.ExcessBlobGas = u64p(1)
	env.ExecutionPayload.WithdrawalsRoot = nil
	err := CheckFields(env, V4, nil)
	if !errors.Is(err, ErrFields) || !strings.Contains(err.Error(), "withdrawals") {
		t.Fatalf("CheckFields: %v, want the withdrawals rule first", err)
	}
}
