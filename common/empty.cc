// Placeholder translation unit for modules without sources yet.
