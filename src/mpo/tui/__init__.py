"""Terminal apps (`mpo review`, `mpo dashboard`), built with Textual.

Imported only by the commands that start them: Textual is heavy, `mpo --help` stays light.
The apps call the same core use cases as the command line and hold no rule of their own.
"""
