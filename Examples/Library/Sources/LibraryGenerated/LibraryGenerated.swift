// The generated code of the library schema is added by AMECodegenPlugin.
