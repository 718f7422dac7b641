package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// node is an element of a parsed HTML document.
type node struct {
	Tag      string
	Attr     map[string]string
	Children []*node
	Text     string // all text inside, whitespace collapsed
}

// parseHTML parses HTML this package writes, or the DOM chromium dumps,
// with encoding/xml in its lenient HTML mode.
func parseHTML(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &node{Tag: "#root"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if _, ok := tok.(xml.CharData); !ok {
			// Element boundaries separate words ("<td>1</td><td>2</td>").
			for _, n := range stack {
				n.Text += " "
			}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{Tag: strings.ToLower(t.Name.Local), Attr: map[string]string{}}
			for _, a := range t.Attr {
				n.Attr[strings.ToLower(a.Name.Local)] = a.Value
			}
			top := stack[len(stack)-1]
			top.Children = append(top.Children, n)
			stack = append(stack, n)
		case xml.EndElement:
			tag := strings.ToLower(t.Name.Local)
			for i := len(stack) - 1; i > 0; i-- {
				if stack[i].Tag == tag {
					stack = stack[:i]
					break
				}
			}
		case xml.CharData:
			for _, n := range stack {
				n.Text += string(t)
			}
		}
	}
	var norm func(n *node)
	norm = func(n *node) {
		n.Text = strings.Join(strings.Fields(n.Text), " ")
		for _, c := range n.Children {
			norm(c)
		}
	}
	norm(root)
	return root, nil
}

// find returns the elements (depth first) for which match is true.
func (n *node) find(match func(*node) bool) []*node {
	var out []*node
	var walk func(*node)
	walk = func(x *node) {
		if match(x) {
			out = append(out, x)
		}
		for _, c := range x.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *node) hasClass(c string) bool {
	for _, x := range strings.Fields(n.Attr["class"]) {
		if x == c {
			return true
		}
	}
	return false
}

func byTag(tag string) func(*node) bool { return func(n *node) bool { return n.Tag == tag } }

// outline is the structure of a document without its numbers: one line
// per element with its id and classes; headings, table headers, captions,
// paragraphs and list items with their text (or "(text)" when it holds
// numbers); table rows with their cell count; charts as one line (their
// drawing is the plot library's, not ours).
func outline(root *node) string {
	var b strings.Builder
	textual := map[string]bool{"h1": true, "h2": true, "h3": true, "h4": true, "th": true, "a": true, "figcaption": true, "li": true, "p": true}
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		switch n.Tag {
		case "td", "style", "title", "meta", "span", "strong", "code", "sup", "em", "br", "head":
			return
		}
		line := n.Tag
		if id := n.Attr["id"]; id != "" {
			line += "#" + id
		}
		for _, c := range strings.Fields(n.Attr["class"]) {
			line += "." + c
		}
		switch {
		case textual[n.Tag]:
			if t := n.Text; t != "" && !strings.ContainsAny(t, "0123456789") {
				line += " " + fmt.Sprintf("%q", t)
			} else if t != "" {
				line += " (text)"
			}
		case n.Tag == "tr":
			cells := 0
			for _, c := range n.Children {
				if c.Tag == "td" || c.Tag == "th" {
					cells++
				}
			}
			line += fmt.Sprintf(" [%d cells]", cells)
		case n.Tag == "svg":
			if l := n.Attr["aria-label"]; l != "" {
				line += fmt.Sprintf(" %q", l)
			}
		}
		if n.Tag != "#root" {
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), line)
			depth++
		}
		if n.Tag == "svg" {
			return
		}
		for _, c := range n.Children {
			// Text elements show their text; only lists and charts inside
			// them add structure.
			if textual[n.Tag] && c.Tag != "ul" && c.Tag != "svg" {
				continue
			}
			walk(c, depth)
		}
	}
	walk(root, 0)
	return b.String()
}
