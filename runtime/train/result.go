// Package train trains neural policies (stateless, lstm) on Cogs vs Clips
// missions with PPO. It is pure Go: the network, the optimizer and the
// checkpoint tensors live behind runtime/train/torch, the only package of
// dafscript that uses cgo.
package train

import "github.com/dafscript/dafscript/runtime/trainresult"

// Result is what one training run returns (daf.train's TrainingResult).
type Result = trainresult.Result

// CurvePoint is the state of training after one PPO update.
type CurvePoint = trainresult.CurvePoint
