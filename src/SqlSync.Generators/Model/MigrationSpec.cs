namespace SqlSync.Generators.Model;

/// <summary>One schema migration: <c>[Migration(Version)] static void MethodName(IMutationContext context)</c>.</summary>
internal sealed record MigrationSpec(int Version, string MethodName);
