"""What every page shares: error pages, security headers, compression, template helpers,
and the small helpers views use to answer a page or an htmx fragment."""
