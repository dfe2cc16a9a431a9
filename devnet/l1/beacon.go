package l1

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/devnet/internal/gethnode"
)

// beaconServer serves the part of the beacon node API that rollup nodes
// use to fetch blobs:
//
//	GET /eth/v1/beacon/genesis               genesis_time
//	GET /eth/v1/config/spec                  SECONDS_PER_SLOT
//	GET /eth/v1/node/version
//	GET /eth/v1/beacon/blob_sidecars/{id}    sidecars, ?indices= filter
//	GET /eth/v1/beacon/blobs/{id}            blobs, ?versioned_hashes= filter
//
// {id} is a slot number, "head", "genesis" or "finalized". A slot maps to
// the canonical block whose time is genesis time + slot × seconds per
// slot; a slot without a block answers 404, as an empty slot does.
type beaconServer struct {
	n   *Node
	srv *http.Server
	url string
}

func startBeacon(n *Node) (*beaconServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(gethnode.Loopback, "0"))
	if err != nil {
		return nil, err
	}
	b := &beaconServer{n: n, url: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /eth/v1/beacon/genesis", b.genesis)
	mux.HandleFunc("GET /eth/v1/config/spec", b.spec)
	mux.HandleFunc("GET /eth/v1/node/version", b.version)
	mux.HandleFunc("GET /eth/v1/beacon/blob_sidecars/{id}", b.blobSidecars)
	mux.HandleFunc("GET /eth/v1/beacon/blobs/{id}", b.blobList)
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

func (b *beaconServer) close() error {
	if err := b.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (b *beaconServer) genesis(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"data": map[string]string{
		"genesis_time":            strconv.FormatUint(b.n.genesis.Timestamp, 10),
		"genesis_validators_root": common.Hash{}.Hex(),
		"genesis_fork_version":    "0x00000000",
	}})
}

func (b *beaconServer) spec(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"data": map[string]string{
		"SECONDS_PER_SLOT": strconv.FormatUint(b.n.cfg.SlotTime, 10),
		"SLOTS_PER_EPOCH":  "32",
	}})
}

func (b *beaconServer) version(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"data": map[string]string{"version": "opal-devnet/l1"}})
}

// sidecarJSON is a deneb BlobSidecar. The block header and inclusion
// proof are placeholders (there is no beacon state); rollup nodes check
// blobs against the commitments and versioned hashes instead.
type sidecarJSON struct {
	Index             string            `json:"index"`
	Blob              hexutil.Bytes     `json:"blob"`
	KZGCommitment     hexutil.Bytes     `json:"kzg_commitment"`
	KZGProof          hexutil.Bytes     `json:"kzg_proof"`
	SignedBlockHeader signedBlockHeader `json:"signed_block_header"`
	InclusionProof    []common.Hash     `json:"kzg_commitment_inclusion_proof"`
}

type signedBlockHeader struct {
	Message struct {
		Slot          string      `json:"slot"`
		ProposerIndex string      `json:"proposer_index"`
		ParentRoot    common.Hash `json:"parent_root"`
		StateRoot     common.Hash `json:"state_root"`
		BodyRoot      common.Hash `json:"body_root"`
	} `json:"message"`
	Signature hexutil.Bytes `json:"signature"`
}

// inclusionProofDepth is the length of a deneb commitment inclusion proof.
const inclusionProofDepth = 17

func (b *beaconServer) blobSidecars(w http.ResponseWriter, r *http.Request) {
	h, ok := b.block(w, r.PathValue("id"))
	if !ok {
		return
	}
	want, err := indexFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	slot := strconv.FormatUint(b.n.Slot(h.Time), 10)
	out := []sidecarJSON{}
	for _, s := range b.n.blobs.get(h.Hash()) {
		if want != nil && !want[s.Index] {
			continue
		}
		j := sidecarJSON{
			Index:          strconv.FormatUint(s.Index, 10),
			Blob:           s.Blob[:],
			KZGCommitment:  s.Commitment[:],
			KZGProof:       s.Proof[:],
			InclusionProof: make([]common.Hash, inclusionProofDepth),
		}
		j.SignedBlockHeader.Message.Slot = slot
		j.SignedBlockHeader.Message.ProposerIndex = "0"
		if h.ParentBeaconRoot != nil {
			j.SignedBlockHeader.Message.ParentRoot = *h.ParentBeaconRoot
		}
		j.SignedBlockHeader.Message.BodyRoot = h.Hash()
		j.SignedBlockHeader.Signature = make([]byte, 96)
		out = append(out, j)
	}
	writeJSON(w, map[string]any{"data": out})
}

func (b *beaconServer) blobList(w http.ResponseWriter, r *http.Request) {
	h, ok := b.block(w, r.PathValue("id"))
	if !ok {
		return
	}
	want, err := hashFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	out := []hexutil.Bytes{}
	for _, s := range b.n.blobs.get(h.Hash()) {
		if want != nil && !want[s.VersionedHash] {
			continue
		}
		out = append(out, s.Blob[:])
	}
	final := b.n.eth.BlockChain().CurrentFinalBlock()
	writeJSON(w, map[string]any{
		"execution_optimistic": false,
		"finalized":            final != nil && h.Number.Cmp(final.Number) <= 0,
		"data":                 out,
	})
}

// block resolves a block id to a canonical header, answering the request
// itself when it cannot.
func (b *beaconServer) block(w http.ResponseWriter, id string) (*types.Header, bool) {
	bc := b.n.eth.BlockChain()
	var h *types.Header
	switch id {
	case "head":
		h = bc.CurrentBlock()
	case "genesis":
		h = bc.Genesis().Header()
	case "finalized":
		h = bc.CurrentFinalBlock()
	default:
		slot, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unsupported block id %q: use a slot, head, genesis or finalized", id))
			return nil, false
		}
		h = b.canonicalAt(b.n.slotTime(slot))
	}
	if h == nil {
		writeError(w, http.StatusNotFound, "block not found")
		return nil, false
	}
	return h, true
}

// canonicalAt finds the canonical block with timestamp t by binary search:
// timestamps strictly increase along the chain.
func (b *beaconServer) canonicalAt(t uint64) *types.Header {
	bc := b.n.eth.BlockChain()
	head := bc.CurrentBlock().Number.Uint64()
	i := sort.Search(int(head)+1, func(i int) bool {
		h := bc.GetHeaderByNumber(uint64(i))
		return h == nil || h.Time >= t
	})
	if h := bc.GetHeaderByNumber(uint64(i)); h != nil && h.Time == t {
		return h
	}
	return nil
}

// queryValues reads a repeatable query parameter that may also hold
// comma-separated values.
func queryValues(r *http.Request, key string) []string {
	var out []string
	for _, v := range r.URL.Query()[key] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func indexFilter(r *http.Request) (map[uint64]bool, error) {
	vals := queryValues(r, "indices")
	if len(vals) == 0 {
		return nil, nil
	}
	want := make(map[uint64]bool, len(vals))
	for _, v := range vals {
		i, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad index %q", v)
		}
		want[i] = true
	}
	return want, nil
}

func hashFilter(r *http.Request) (map[common.Hash]bool, error) {
	vals := queryValues(r, "versioned_hashes")
	if len(vals) == 0 {
		return nil, nil
	}
	want := make(map[common.Hash]bool, len(vals))
	for _, v := range vals {
		b, err := hexutil.Decode(v)
		if err != nil || len(b) != common.HashLength {
			return nil, fmt.Errorf("bad versioned hash %q", v)
		}
		want[common.BytesToHash(b)] = true
	}
	return want, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
}
