package redmux

import (
	"reflect"
	"testing"
)

// blockingHelpers are the typed commands that block their connection: they
// run on a dedicated connection of their own and have no Batch form, which
// would stall the shared pipeline it joined.
var blockingHelpers = map[string]bool{
	"BLPop": true, "BRPop": true, "BLMove": true, "BZPopMin": true, "BZPopMax": true,
	"XRead": true, "XReadGroup": true,
}

// TestEveryTypedCommandHasABatchCounterpart: a command defined once is
// offered on Client and DedicatedConn (through commands) and in a Batch,
// with the same arguments minus the context.
func TestEveryTypedCommandHasABatchCounterpart(t *testing.T) {
	helpers := reflect.TypeOf(&commands{})
	batch := reflect.TypeOf(&Batch{})
	if helpers.NumMethod() == 0 {
		t.Fatal("commands has no methods")
	}
	for i := range helpers.NumMethod() {
		m := helpers.Method(i)
		if blockingHelpers[m.Name] {
			continue
		}
		bm, ok := batch.MethodByName(m.Name)
		if !ok {
			t.Errorf("Batch has no %s", m.Name)
			continue
		}
		// Method types include the receiver; commands' second input is
		// the context, which Batch methods do not take.
		want, got := m.Type, bm.Type
		if want.NumIn()-1 != got.NumIn() || want.IsVariadic() != got.IsVariadic() {
			t.Errorf("Batch.%s takes %v, want the arguments of %v without ctx", m.Name, got, want)
			continue
		}
		for j := 2; j < want.NumIn(); j++ {
			if want.In(j) != got.In(j-1) {
				t.Errorf("Batch.%s argument %d is %v, want %v", m.Name, j-1, got.In(j-1), want.In(j))
			}
		}
	}
}
