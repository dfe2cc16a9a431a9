package selector

import (
	"testing"

	"github.com/opalnode/opal/sdk/sdktest"
)

func TestConformance(t *testing.T) {
	sdktest.RunOriginSelectorSuite(t, New())
	sdktest.RunOriginSelectorSuite(t, sdktest.OriginSelector(t, New()))
}
