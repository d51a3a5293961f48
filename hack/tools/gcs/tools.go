//go:build tools

// Package tools pins the GCS API emulator that prow-rs tests run (see hack/build-tools.sh).
package tools

import (
	_ "github.com/fsouza/fake-gcs-server"
)
