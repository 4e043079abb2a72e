"""Planning: sources, insights, features, tasks, sprints, PR links and repository analysis (schema ``planning``)."""
