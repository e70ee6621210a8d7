using System.ComponentModel;
namespace SqlSync.Mutations.Generated;

/// <summary>
/// A reducer whose mutation set has schema migrations (<see cref="MigrationAttribute"/>); the generated
/// <c>Reducer</c> implements it when the class declares any.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMutationMigrations
{
    /// <summary>The highest migration: the schema version this mutation set expects a document to have.</summary>
    int SchemaVersion { get; }

    /// <summary>Runs migration number <paramref name="version"/> (1 to <see cref="SchemaVersion"/>).</summary>
    void Migrate(IMutationContext context, int version);

    /// <summary>
    /// The oldest app schema version a server running this mutation set serves (0: every version). An older client
    /// is refused with "upgrade required" and keeps its pending mutations. Declared with
    /// <c>[MutationSet(MinimumClientSchemaVersion = n)]</c>.
    /// </summary>
    int MinimumClientSchemaVersion => 0;

    /// <summary>The method name of migration <paramref name="version"/>, for errors.</summary>
    string GetMigrationName(int version);
}
