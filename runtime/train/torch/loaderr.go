package torch

// LoadError says why the training backend cannot be used and what to do
// about it; envcheck shows the two parts as detail and recommendation.
type LoadError struct {
	What string // what is missing or failed
	Fix  string // what the user can do
}

func (e *LoadError) Error() string { return e.What + "; " + e.Fix }
