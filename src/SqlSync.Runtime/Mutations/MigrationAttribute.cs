namespace SqlSync.Mutations;

/// <summary>
/// Marks a static method of a <see cref="MutationSetAttribute"/> class as schema migration number
/// <see cref="Version"/>: <c>static void Name(IMutationContext context)</c>. The coordinator applies the
/// migrations a document lacks once, in order, in one transaction; clients apply them locally until the
/// coordinator's result arrives (docs/versioning.md). Migrations are deterministic like mutations.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class MigrationAttribute : Attribute
{
    /// <summary>Migration number <paramref name="version"/>: 1, 2, 3... with no gaps.</summary>
    public MigrationAttribute(int version)
    {
        Version = version;
    }

    /// <summary>The schema version a document has once this migration ran.</summary>
    public int Version { get; }
}
