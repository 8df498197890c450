package redmux_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsNameRealTestsAndFiles: every test function and every file that
// README.md, CONTRIBUTING.md and docs/ARCHITECTURE.md name exists, so the
// docs cannot drift from the code unnoticed when tests move or are renamed.
func TestDocsNameRealTestsAndFiles(t *testing.T) {
	tests := testFunctions(t)
	testName := regexp.MustCompile("`(Test[A-Za-z0-9_]+|Example[A-Za-z0-9_]*|Fuzz[A-Za-z0-9_]+|Benchmark[A-Za-z0-9_]+)`")
	path := regexp.MustCompile("`((?:[a-z0-9_./-]+/)?[a-zA-Z0-9_.-]+\\.(?:go|md|sh))`")
	for _, doc := range []string{"README.md", "CONTRIBUTING.md", "docs/ARCHITECTURE.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range testName.FindAllStringSubmatch(string(text), -1) {
			if !tests[m[1]] {
				t.Errorf("%s names %s, which no _test.go file defines", doc, m[1])
			}
		}
		for _, m := range path.FindAllStringSubmatch(string(text), -1) {
			if strings.Contains(m[1], "*") {
				continue
			}
			if _, err := os.Stat(m[1]); err != nil {
				t.Errorf("%s names %s, which does not exist", doc, m[1])
			}
		}
	}
}

// testFunctions returns the names of every Test, Example, Fuzz and
// Benchmark function in the module's _test.go files.
func testFunctions(t *testing.T) map[string]bool {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Example|Fuzz|Benchmark)[A-Za-z0-9_]*)\(`)
	names := map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
