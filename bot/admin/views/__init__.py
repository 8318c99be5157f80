"""Console views: thin functions that call the services and render templates."""
