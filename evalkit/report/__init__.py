"""Tables, plots and reports built from public results."""
