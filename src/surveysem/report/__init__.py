"""HTML reports: page frame and escaping (html), APA tables (tables), SVG primitives (svg),
figures (figures), the P4 path diagram (pathdiagram), provenance, the descriptive statistics
no stage writes yet (descriptives), and the pages, one module per page (pages/)."""
