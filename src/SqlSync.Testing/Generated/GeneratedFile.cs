namespace SqlSync.Testing;

/// <summary>One source file a generator added to a compilation.</summary>
/// <param name="HintName">The name the generator gave it, e.g. <c>App.TodoMutations.g.cs</c>.</param>
/// <param name="Text">Its text.</param>
public sealed record GeneratedFile(string HintName, string Text);
