package l1source

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/url"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"

	"github.com/opalnode/opal/sdk/eth"
)

// blobs returns the blobs refs asks for, in order, each checked against
// its versioned hash: from the cache, else from the beacon endpoints.
func (c *conn) blobs(ctx context.Context, b *block, refs []blobRef) ([]eth.Blob, error) {
	found := make(map[common.Hash]*kzg4844.Blob, len(refs))
	var missing []blobRef
	for _, r := range refs {
		if v, ok := c.cache.get(cacheKey{kindBlob, r.hash}); ok {
			found[r.hash] = v.(*kzg4844.Blob)
		} else if _, dup := found[r.hash]; !dup {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		if len(c.beacon.eps) == 0 {
			return nil, fmt.Errorf("%w: L1 block %s carries %d blobs for the batch inbox but no beacon endpoint is configured (l1source config beacon)",
				eth.ErrTemporary, b.hash, len(refs))
		}
		got, err := c.beacon.fetch(ctx, b, missing)
		if err != nil {
			return nil, err
		}
		for h, blob := range got {
			found[h] = blob
			c.cache.add(cacheKey{kindBlob, h}, blob, int64(len(blob)))
		}
	}
	out := make([]eth.Blob, len(refs))
	for i, r := range refs {
		src, ok := found[r.hash]
		if !ok {
			return nil, fmt.Errorf("%w: blob %s of L1 block %s is missing", eth.ErrTemporary, r.hash, b.hash)
		}
		cp := new(kzg4844.Blob)
		*cp = *src
		out[i] = eth.Blob{VersionedHash: r.hash, Data: cp}
	}
	return out, nil
}

// fetch gets the wanted blobs of block b from the beacon endpoints, each
// endpoint asked until it has given all it can. A blob whose commitment
// does not match its versioned hash, or whose proof fails, is refused.
func (bc *beaconClient) fetch(ctx context.Context, b *block, want []blobRef) (map[common.Hash]*kzg4844.Blob, error) {
	slot, err := bc.slotOf(ctx, b.header.Time)
	if err != nil {
		return nil, err
	}
	got := make(map[common.Hash]*kzg4844.Blob, len(want))
	what := fmt.Sprintf("blobs of L1 block %s (slot %d)", b.hash, slot)
	err = failover(ctx, what, bc.eps, bc.retries, func(ctx context.Context, ep *beaconEndpoint) error {
		var errs []error
		for _, try := range []func(context.Context, *beaconEndpoint, uint64, []blobRef, map[common.Hash]*kzg4844.Blob) error{
			bc.sidecarsByIndex, bc.allSidecars, bc.blobsByHash,
		} {
			rest := remaining(want, got)
			if len(rest) == 0 {
				return nil
			}
			if err := try(ctx, ep, slot, rest, got); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				errs = append(errs, err)
			}
		}
		if rest := remaining(want, got); len(rest) > 0 {
			if len(errs) > 0 {
				return errs[0] // the sidecars answer: the API every beacon serves
			}
			return &requestError{ep: ep.name, method: what, msg: fmt.Sprintf("%d of %d blobs missing (first %s)", len(rest), len(want), rest[0].hash), retry: true}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

func remaining(want []blobRef, got map[common.Hash]*kzg4844.Blob) []blobRef {
	var out []blobRef
	for _, r := range want {
		if _, ok := got[r.hash]; !ok {
			out = append(out, r)
		}
	}
	return out
}

type sidecar struct {
	Blob       *kzg4844.Blob      `json:"blob"`
	Commitment kzg4844.Commitment `json:"kzg_commitment"`
	Proof      kzg4844.Proof      `json:"kzg_proof"`
}

// sidecarsByIndex asks only for the wanted sidecars.
func (bc *beaconClient) sidecarsByIndex(ctx context.Context, ep *beaconEndpoint, slot uint64, want []blobRef, got map[common.Hash]*kzg4844.Blob) error {
	q := url.Values{}
	for _, r := range want {
		q.Add("indices", strconv.FormatUint(r.index, 10))
	}
	return bc.sidecars(ctx, ep, fmt.Sprintf("/eth/v1/beacon/blob_sidecars/%d?%s", slot, q.Encode()), want, got)
}

// allSidecars asks for every sidecar of the slot, for servers that ignore
// or mishandle the indices.
func (bc *beaconClient) allSidecars(ctx context.Context, ep *beaconEndpoint, slot uint64, want []blobRef, got map[common.Hash]*kzg4844.Blob) error {
	return bc.sidecars(ctx, ep, fmt.Sprintf("/eth/v1/beacon/blob_sidecars/%d", slot), want, got)
}

// sidecars reads blob sidecars and keeps the wanted blobs whose KZG proof
// holds against their commitment.
func (bc *beaconClient) sidecars(ctx context.Context, ep *beaconEndpoint, path string, want []blobRef, got map[common.Hash]*kzg4844.Blob) error {
	var resp struct {
		Data []sidecar `json:"data"`
	}
	if err := bc.get(ctx, ep, path, &resp); err != nil {
		return err
	}
	wanted := wantSet(want)
	var bad error
	hasher := sha256.New()
	for i, sc := range resp.Data {
		if sc.Blob == nil {
			bad = fmt.Errorf("%w: %s: sidecar %d has no blob", ErrBadResponse, ep.name, i)
			continue
		}
		vh := common.Hash(kzg4844.CalcBlobHashV1(hasher, &sc.Commitment))
		if !wanted[vh] {
			continue
		}
		if err := verifyBlob(sc.Blob, sc.Commitment, sc.Proof); err != nil {
			bad = fmt.Errorf("%w: %s: blob %s: %v", ErrBadResponse, ep.name, vh, err)
			continue
		}
		got[vh] = sc.Blob
	}
	return bad
}

// verifyBlob checks a blob against its commitment: by the sidecar's KZG
// proof (fast), else by recomputing the commitment, since some beacon nodes
// after Fulu serve sidecars rebuilt from columns whose proof field is not a
// blob proof.
func verifyBlob(blob *kzg4844.Blob, commitment kzg4844.Commitment, proof kzg4844.Proof) error {
	perr := kzg4844.VerifyBlobProof(blob, commitment, proof)
	if perr == nil {
		return nil
	}
	c, err := kzg4844.BlobToCommitment(blob)
	if err != nil {
		return fmt.Errorf("not a valid blob: %v", err)
	}
	if c != commitment {
		return fmt.Errorf("does not match its commitment (KZG proof: %v)", perr)
	}
	return nil
}

// blobsByHash uses the newer blobs endpoint (beacon nodes after Fulu keep
// columns rather than sidecars). It has no commitments, so each blob's
// commitment is computed and hashed.
func (bc *beaconClient) blobsByHash(ctx context.Context, ep *beaconEndpoint, slot uint64, want []blobRef, got map[common.Hash]*kzg4844.Blob) error {
	q := url.Values{}
	for _, r := range want {
		q.Add("versioned_hashes", r.hash.Hex())
	}
	var resp struct {
		Data []*kzg4844.Blob `json:"data"`
	}
	if err := bc.get(ctx, ep, fmt.Sprintf("/eth/v1/beacon/blobs/%d?%s", slot, q.Encode()), &resp); err != nil {
		return err
	}
	wanted := wantSet(want)
	hasher := sha256.New()
	for _, blob := range resp.Data {
		if blob == nil {
			continue
		}
		commitment, err := kzg4844.BlobToCommitment(blob)
		if err != nil {
			return fmt.Errorf("%w: %s: blob is not valid: %v", ErrBadResponse, ep.name, err)
		}
		if vh := common.Hash(kzg4844.CalcBlobHashV1(hasher, &commitment)); wanted[vh] {
			got[vh] = blob
		}
	}
	return nil
}

func wantSet(want []blobRef) map[common.Hash]bool {
	m := make(map[common.Hash]bool, len(want))
	for _, r := range want {
		m[r.hash] = true
	}
	return m
}
