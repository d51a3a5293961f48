//go:build tools

// Package tools pins Helm for prow-rs's chart checks.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
