namespace SqlSync.Mutations;

/// <summary>
/// Marks a <c>static partial</c> class whose <see cref="MutationAttribute"/> methods the source generator
/// turns into mutation records and a reducer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MutationSetAttribute : Attribute
{
}
