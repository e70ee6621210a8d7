using System.Text;

namespace SqlSync.Generators.Helpers;

/// <summary>
/// Derives a mutation's tag from its name: the 32-bit FNV-1a hash of the UTF-8 bytes of
/// <c>"Namespace.Class.Method"</c> (containing classes joined with '.', no <c>global::</c>, no
/// generic arity), so it never changes when methods or files are reordered. docs/generator.md states
/// the same formula.
/// </summary>
internal static class StableTag
{
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    public static uint Derive(string qualifiedMethodName)
    {
        uint hash = OffsetBasis;
        foreach (byte b in Encoding.UTF8.GetBytes(qualifiedMethodName))
        {
            hash ^= b;
            hash = unchecked(hash * Prime);
        }

        return hash;
    }
}
