"""Where Daily Papers come from: the page model, the HTTP API and folders of saved responses."""
