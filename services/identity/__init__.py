"""Identity: people, projects and membership (schema ``identity``)."""
