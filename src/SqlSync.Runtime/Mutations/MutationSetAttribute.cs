namespace SqlSync.Mutations;

/// <summary>
/// Marks a <c>static partial</c> class whose <see cref="MutationAttribute"/> methods the source generator
/// turns into mutation records and a reducer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MutationSetAttribute : Attribute
{
    /// <summary>
    /// The oldest app schema version (highest migration of the client's mutation set) a server running this
    /// mutation set serves; older clients get "upgrade required" and keep their pending mutations (docs/versioning.md).
    /// </summary>
    public int MinimumClientSchemaVersion { get; set; }
}
