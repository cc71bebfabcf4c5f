//go:build tools

// Package tools records the command this module builds (kwok), so that `go mod tidy` keeps its
// dependencies. It is never compiled (the build tag is never set). kwok has its own module
// because it pins older Kubernetes libraries than the control plane.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
