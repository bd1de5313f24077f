// Generated code is added by AMECodegenPlugin.
