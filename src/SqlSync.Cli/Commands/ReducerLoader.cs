using System.Reflection;
using SqlSync.Mutations;

namespace SqlSync.Cli.Commands;

/// <summary>Finds the generated reducer (<c>YourMutations.Reducer.Instance</c>) in an application's assembly.</summary>
internal static class ReducerLoader
{
    public static IMutationReducer Load(string assemblyPath, string? typeName)
    {
        if (!File.Exists(assemblyPath))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"The assembly '{assemblyPath}' does not exist.");
        }

        Assembly assembly = Assembly.LoadFrom(Path.GetFullPath(assemblyPath));
        Type[] reducers = assembly.GetTypes()
            .Where(t => typeof(IMutationReducer).IsAssignableFrom(t) && !t.IsAbstract
                        && t.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToArray();
        Type[] chosen = typeName is null ? reducers : reducers.Where(t => t.FullName == typeName || t.DeclaringType?.FullName == typeName).ToArray();
        if (chosen.Length != 1)
        {
            string found = reducers.Length == 0 ? "none" : string.Join(", ", reducers.Select(t => t.FullName));
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, typeName is null
                ? $"Expected one generated reducer in '{assemblyPath}', found {found}; pick one with --reducer."
                : $"No reducer '{typeName}' in '{assemblyPath}'; found {found}.");
        }

        return (IMutationReducer)chosen[0].GetProperty("Instance", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
    }
}
