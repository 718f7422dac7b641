package suggest_test

import (
	"fmt"

	"github.com/dafscript/dafscript/sim/suggest"
)

func ExampleClosest() {
	names := []string{"training_facility_1", "training_facility_2", "assembler_2"}
	fmt.Println(suggest.Closest("traning_facility_1", names, 2))
	fmt.Printf("unknown mission %q%s\n", "asembler_2", suggest.Hint("asembler_2", names, 3))
	// Output:
	// [training_facility_1 training_facility_2]
	// unknown mission "asembler_2" (did you mean assembler_2?)
}
