// Package tasks holds go-redis versions of the everyday tasks in the main
// module's examples directory, and the test that compares their length.
package tasks

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// connectingTasks are the tasks whose subject is making the connection:
// for them the client setup is the task, and counts as such.
var connectingTasks = map[string]bool{"10-connect": true}

// counts are the code lines of one task program: the non-blank, non-comment
// lines of the bodies of its top-level functions but main (run and any
// helper it has), split into the client setup at the top of run (up to and
// including the first "defer x.Close()") and the rest, the task itself.
// Package clause, imports and main are not counted.
type counts struct{ setup, task int }

func taskLines(path string, splitSetup bool) (counts, error) {
	var c counts
	src, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return c, err
	}
	lines := strings.Split(string(src), "\n")
	code := func(from, to int) int { // code lines among lines from..to, 1-based, inclusive
		n := 0
		for _, line := range lines[from-1 : to] {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "//") {
				n++
			}
		}
		return n
	}
	sawRun := false
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil || fn.Name.Name == "main" {
			continue
		}
		first, last := fset.Position(fn.Body.Lbrace).Line, fset.Position(fn.Body.Rbrace).Line
		if first == last { // a one-line helper
			c.task++
			continue
		}
		bodyStart, bodyEnd := first+1, last-1
		if fn.Name.Name == "run" {
			sawRun = true
			if end := setupEnd(fset, fn.Body); splitSetup && end > 0 {
				c.setup = code(bodyStart, end)
				bodyStart = end + 1
			}
		}
		c.task += code(bodyStart, bodyEnd)
	}
	if !sawRun {
		return c, fmt.Errorf("%s: no func run", path)
	}
	return c, nil
}

// setupEnd returns the line of the first "defer x.Close()" statement of
// body, or 0 when there is none.
func setupEnd(fset *token.FileSet, body *ast.BlockStmt) int {
	for _, stmt := range body.List {
		d, ok := stmt.(*ast.DeferStmt)
		if !ok {
			continue
		}
		if sel, ok := d.Call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Close" && len(d.Call.Args) == 0 {
			return fset.Position(d.End()).Line
		}
	}
	return 0
}

// TestTaskLineCounts prints the table of line counts and fails if any
// redmux program is longer than its go-redis twin, client setup included.
// redmux.Connect dials and reports a failed connect; go-redis's NewClient
// does not, so its twins Ping once at startup to fail the same way (that
// Ping counts with the task, after the setup's "defer rdb.Close()").
func TestTaskLineCounts(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/[0-9][0-9]-*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no tasks in ../../examples")
	}
	var table strings.Builder
	table.WriteString("| Task | redmux | go-redis | client setup: redmux | client setup: go-redis |\n|---|---:|---:|---:|---:|\n")
	var totalMux, totalGoRedis counts
	for _, dir := range dirs {
		task := filepath.Base(dir)
		mux, err := taskLines(filepath.Join(dir, "main.go"), !connectingTasks[task])
		if err != nil {
			t.Fatal(err)
		}
		goRedis, err := taskLines(filepath.Join(task, "main.go"), !connectingTasks[task])
		if err != nil {
			t.Fatalf("%s has no go-redis twin: %v", task, err)
		}
		totalMux.task += mux.task
		totalMux.setup += mux.setup
		totalGoRedis.task += goRedis.task
		totalGoRedis.setup += goRedis.setup
		setup := func(c counts) string {
			if connectingTasks[task] {
				return "(in the task)"
			}
			return fmt.Sprint(c.setup)
		}
		fmt.Fprintf(&table, "| %s | %d | %d | %s | %s |\n", task, mux.task, goRedis.task, setup(mux), setup(goRedis))
		if mux.task+mux.setup > goRedis.task+goRedis.setup {
			t.Errorf("%s: redmux takes %d lines, go-redis %d (setup included)", task, mux.task+mux.setup, goRedis.task+goRedis.setup)
		}
	}
	fmt.Fprintf(&table, "| **total** | **%d** | **%d** | %d | %d |\n",
		totalMux.task, totalGoRedis.task, totalMux.setup, totalGoRedis.setup)
	fmt.Fprintf(&table, "| **total with setup** | **%d** | **%d** | | |\n",
		totalMux.task+totalMux.setup, totalGoRedis.task+totalGoRedis.setup)
	fmt.Print(table.String())
}
