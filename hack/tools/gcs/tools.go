//go:build tools

// Package tools pins the object-storage API servers prow-rs tests run (see
// hack/build-tools.sh).
package tools

import (
	_ "github.com/johannesboyne/gofakes3/cmd/gofakes3"
)
