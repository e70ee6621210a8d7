namespace SqlSync.Generators.Model;

/// <summary>A type that contains the mutations class: its declaration keyword ("class", "struct", "record", ...) and name.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);
