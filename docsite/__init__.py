"""Build-time helpers of the documentation site (mkdocs.yml): executed examples, API pages."""
