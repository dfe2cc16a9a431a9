package node

import "github.com/opalnode/opal/core/heads"

func openStore(dir string) (*heads.Store, error) { return heads.Open(dir) }
