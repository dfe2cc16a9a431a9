package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ethereum/go-ethereum/params"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/node"
	"github.com/opalnode/opal/sdk/rollup"
)

func newLogger(cfg *config.Config) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "opal",
		Level:      hclog.LevelFromString(cfg.Log.Level),
		JSONFormat: cfg.Log.Format == "json",
		Output:     os.Stderr,
	})
}

// loadRollup returns the chain's rollup config and, when known, its L1's
// chain config.
func loadRollup(cfg *config.Config) (*rollup.Config, *params.ChainConfig, error) {
	rc, err := cfg.Chain()
	if err != nil {
		return nil, nil, err
	}
	var l1 *params.ChainConfig
	switch {
	case cfg.Rollup.L1ChainConfig != "":
		l1, err = loadL1ChainConfig(cfg.Rollup.L1ChainConfig)
		if err != nil {
			return nil, nil, err
		}
	case rc.L1ChainID.Uint64() == 1:
		l1 = params.MainnetChainConfig
	case rc.L1ChainID.Uint64() == 11155111:
		l1 = params.SepoliaChainConfig
	}
	return rc, l1, nil
}

// loadL1ChainConfig reads a geth genesis JSON (or a bare chain config).
func loadL1ChainConfig(path string) (*params.ChainConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rollup.l1_chain_config: %w", err)
	}
	var genesis struct {
		Config *params.ChainConfig `json:"config"`
	}
	if err := json.Unmarshal(data, &genesis); err == nil && genesis.Config != nil {
		return genesis.Config, nil
	}
	var cc params.ChainConfig
	if err := json.Unmarshal(data, &cc); err != nil || cc.ChainID == nil {
		return nil, fmt.Errorf("rollup.l1_chain_config %s: neither a geth genesis nor a chain config", path)
	}
	return &cc, nil
}

func runCmd(args []string) error {
	cfg, err := loadConfig("run", args)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	for flag, why := range cfg.Ignored {
		log.Info("accepted, has no effect in opal: "+why, "flag", "--"+flag)
	}
	rc, l1cc, err := loadRollup(cfg)
	if err != nil {
		return err
	}
	n, err := node.New(node.Options{Config: cfg, Rollup: rc, L1ChainConfig: l1cc, Catalog: builtins(), Logger: log, Version: Version})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := n.Start(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		n.Stop()
		return nil
	case <-n.Failed():
		// Stop persists the heads before the process exits non-zero.
		n.Stop()
		return n.Err()
	}
}
