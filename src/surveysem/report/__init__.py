"""HTML reports: page frame and escaping (html), APA tables (tables), SVG figures (figures),
the P4 path diagram (pathdiagram), provenance and one function per page (pages)."""
