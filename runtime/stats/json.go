package stats

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// Float is a float64 that JSON-encodes NaN and infinities as null (JSON has
// no such numbers) and decodes null back to NaN. Result types use it in
// their MarshalJSON methods so that an undefined statistic reads as null.
type Float float64

// MarshalJSON writes finite values as numbers and the rest as null.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*f = Float(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

type summaryJSON struct {
	N      int   `json:"n"`
	Mean   Float `json:"mean"`
	Std    Float `json:"std"`
	Median Float `json:"median"`
	IQM    Float `json:"iqm"`
	CILow  Float `json:"ci_low"`
	CIHigh Float `json:"ci_high"`
	Min    Float `json:"min"`
	Max    Float `json:"max"`
}

// MarshalJSON writes undefined values (the Std of one number) as null.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(summaryJSON{s.N, Float(s.Mean), Float(s.Std), Float(s.Median), Float(s.IQM),
		Float(s.CILow), Float(s.CIHigh), Float(s.Min), Float(s.Max)})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var j summaryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Summary{j.N, float64(j.Mean), float64(j.Std), float64(j.Median), float64(j.IQM),
		float64(j.CILow), float64(j.CIHigh), float64(j.Min), float64(j.Max)}
	return nil
}
