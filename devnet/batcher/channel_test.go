package batcher

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/crypto/kzg4844"

	"github.com/opalnode/opal/plugins/deriver/blob"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
)

// TestChannelRoundTrip builds channels from synthetic L2 blocks and reads
// them back with the deriver's codecs, the way derivation does, for every
// combination of data availability, compression and batch type, with
// frame sizes that give one frame and many.
func TestChannelRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := testRollup(900)
	blocks := syntheticBlocks(t, 7, 300)
	for _, blobs := range []bool{false, true} {
		for _, algo := range []channel.Algo{channel.Zlib, channel.Brotli} {
			for _, span := range []bool{false, true} {
				for _, frameSize := range []int{0, 400} {
					name := fmt.Sprintf("blobs=%v/%s/span=%v/frame=%d", blobs, algo, span, frameSize)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						c := Config{Rollup: cfg, UseBlobs: blobs, Span: span, Compression: algo, MaxFrameSize: frameSize}
						enc, err := c.encodingAt(testGenesisTime, testGenesisTime)
						if err != nil {
							t.Fatal(err)
						}
						if enc.blobs != blobs || enc.span != span || enc.algo != algo {
							t.Fatalf("encoding %+v", enc)
						}
						ch, err := buildChannel(cfg, frame.ChannelID{1, 2, 3}, blocks, enc)
						if err != nil {
							t.Fatal(err)
						}
						if frameSize > 0 && len(ch.frames) < 3 {
							t.Fatalf("%d frames of %d bytes; the test wants several", len(ch.frames), frameSize)
						}
						for _, f := range ch.frames {
							if f.Size() > enc.frameSize {
								t.Fatalf("frame %d is %d bytes, max %d", f.Number, f.Size(), enc.frameSize)
							}
						}
						var frames []frame.Frame
						if blobs {
							groups, err := ch.blobs(2)
							if err != nil {
								t.Fatal(err)
							}
							var all []kzg4844.Blob
							for i, g := range groups {
								if len(g) == 0 || len(g) > 2 || i < len(groups)-1 && len(g) != 2 {
									t.Fatalf("blob group %d has %d blobs", i, len(g))
								}
								all = append(all, g...)
							}
							frames = framesFromBlobs(t, all)
						} else {
							frames = framesFromCalldata(t, ch.calldata())
						}
						if len(frames) != len(ch.frames) {
							t.Fatalf("%d frames decoded, %d built", len(frames), len(ch.frames))
						}
						checkBlocks(t, readChannel(t, cfg, frames, algo), blocks, span)
					})
				}
			}
		}
	}
}

// TestChannelFullBlob checks that a default-sized blob frame fills a blob
// exactly to its capacity and still decodes.
func TestChannelFullBlob(t *testing.T) {
	t.Parallel()
	cfg := testRollup(900)
	// Incompressible payloads: random-looking transactions of 40 KB.
	blocks := syntheticBlocks(t, 3, 40_000)
	c := Config{Rollup: cfg, UseBlobs: true, Span: true}
	enc, err := c.encodingAt(testGenesisTime, testGenesisTime)
	if err != nil {
		t.Fatal(err)
	}
	enc.algo = channel.Zlib
	ch, err := buildChannel(cfg, frame.ChannelID{9}, blocks, enc)
	if err != nil {
		t.Fatal(err)
	}
	if ch.frames[0].Size() != MaxBlobFrameSize && len(ch.frames) > 1 {
		t.Fatalf("first of %d frames is %d bytes, want a full blob (%d)", len(ch.frames), ch.frames[0].Size(), MaxBlobFrameSize)
	}
	if got := 1 + ch.frames[0].Size(); got > blob.MaxDataSize {
		t.Fatalf("blob payload %d > %d", got, blob.MaxDataSize)
	}
	groups, err := ch.blobs(DefaultMaxBlobsPerTx)
	if err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, readChannel(t, cfg, framesFromBlobs(t, groups[0]), channel.Zlib), blocks, true)
}

// TestChannelTooLarge checks the clip on decompressed size: a channel over
// the limit is refused so the batcher can post fewer blocks.
func TestChannelTooLarge(t *testing.T) {
	t.Parallel()
	cfg := testRollup(900)
	blocks := syntheticBlocks(t, 4, 1000)
	enc := encoding{algo: channel.Zlib, span: true, frameSize: DefaultCalldataFrameSize, maxRLPBytes: 5000}
	if _, err := buildChannel(cfg, frame.ChannelID{}, blocks, enc); !errors.Is(err, errChannelTooLarge) {
		t.Fatalf("got %v, want errChannelTooLarge", err)
	}
	if _, err := buildChannel(cfg, frame.ChannelID{}, blocks[:1], enc); err != nil {
		t.Fatalf("one block: %v", err)
	}
}

// TestEncodingAt checks the fork rules for blobs, batch type and
// compression.
func TestEncodingAt(t *testing.T) {
	t.Parallel()
	const (
		delta   = 100
		ecotone = 200
		fjord   = 300
	)
	cfg := testRollup(900)
	d, e, f := uint64(delta), uint64(ecotone), uint64(fjord)
	cfg.DeltaTime, cfg.EcotoneTime, cfg.FjordTime = &d, &e, &f
	cfg.GraniteTime, cfg.HoloceneTime, cfg.IsthmusTime, cfg.JovianTime = nil, nil, nil, nil
	def := DefaultConfig()
	def.Rollup = cfg
	for _, tc := range []struct {
		l1Time, originTime uint64
		blobs, span        bool
		algo               channel.Algo
		frameSize          int
	}{
		{l1Time: 50, originTime: 50, algo: channel.Zlib, frameSize: DefaultCalldataFrameSize},
		{l1Time: 150, originTime: 50, algo: channel.Zlib, frameSize: DefaultCalldataFrameSize},
		{l1Time: 150, originTime: 120, span: true, algo: channel.Zlib, frameSize: DefaultCalldataFrameSize},
		{l1Time: 250, originTime: 250, span: true, blobs: true, algo: channel.Zlib, frameSize: MaxBlobFrameSize},
		{l1Time: 350, originTime: 350, span: true, blobs: true, algo: channel.Brotli, frameSize: MaxBlobFrameSize},
	} {
		enc, err := def.encodingAt(tc.l1Time, tc.originTime)
		if err != nil {
			t.Fatal(err)
		}
		if enc.blobs != tc.blobs || enc.span != tc.span || enc.algo != tc.algo || enc.frameSize != tc.frameSize {
			t.Errorf("at %d/%d: got %+v, want %+v", tc.l1Time, tc.originTime, enc, tc)
		}
		if want := cfg.MaxRLPBytesPerChannel(tc.l1Time); enc.maxRLPBytes != want {
			t.Errorf("at %d: max RLP bytes %d, want %d", tc.l1Time, enc.maxRLPBytes, want)
		}
	}
	def.Compression = channel.Brotli
	if _, err := def.encodingAt(250, 250); err == nil {
		t.Error("brotli before Fjord accepted")
	}
}
