This file is a snapshot, not code: the SqlSync.Testing package keeps *.verified.cs out of the compilation.
