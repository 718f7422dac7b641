package torch

// The program wires the neural policies (train.Register); these tests
// wire them the same way, with or without cgo.
func init() { RegisterPolicies() }
