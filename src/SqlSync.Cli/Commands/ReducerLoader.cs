using System.Reflection;
using SqlSync.Mutations;

namespace SqlSync.Cli.Commands;

/// <summary>
/// Finds the generated reducer (<c>YourMutations.Reducer.Instance</c>) in an application's assembly or in the
/// assemblies it references (the usual layout: the mutations in a library that the server and clients share),
/// loaded from the assembly's folder. Framework and SqlSync assemblies are not searched.
/// </summary>
internal static class ReducerLoader
{
    /// <summary>How many assemblies are searched at most (the application and what it references, breadth first).</summary>
    private const int MaxAssemblies = 64;

    public static IMutationReducer Load(string assemblyPath, string? typeName)
    {
        if (!File.Exists(assemblyPath))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"The assembly '{assemblyPath}' does not exist.");
        }

        // LoadFrom resolves the application's references from its folder (and its deps.json), as the app would.
        Assembly application = Assembly.LoadFrom(Path.GetFullPath(assemblyPath));
        List<Assembly> searched = Searched(application);
        Type[] reducers = searched.SelectMany(LoadableTypes)
            .Where(t => typeof(IMutationReducer).IsAssignableFrom(t) && !t.IsAbstract
                        && t.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToArray();
        Type[] chosen = typeName is null ? reducers : reducers.Where(t => t.FullName == typeName || t.DeclaringType?.FullName == typeName).ToArray();
        if (chosen.Length != 1)
        {
            string where = searched.Count == 1
                ? $"'{assemblyPath}' (it references no other assembly of its folder)"
                : $"'{assemblyPath}' and the assemblies it references ({string.Join(", ", searched.Skip(1).Select(a => a.GetName().Name))})";
            string found = string.Join(", ", reducers.Select(t => t.DeclaringType?.FullName ?? t.FullName));
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, (typeName, reducers.Length) switch
            {
                (null, 0) => $"No generated reducer in {where}: pass --mutations the .dll of the project whose [MutationSet] class holds your [Mutation] methods (built with the SqlSync.Runtime package), or an app that references it.",
                (null, _) => $"Several generated reducers in {where}: {found}; pick one with --reducer.",
                _ => $"No reducer '{typeName}' in {where}; found: {(found.Length == 0 ? "none" : found)}.",
            });
        }

        return (IMutationReducer)chosen[0].GetProperty("Instance", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
    }

    /// <summary>The application first, then the assemblies it references that load, breadth first.</summary>
    private static List<Assembly> Searched(Assembly application)
    {
        var searched = new List<Assembly> { application };
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { application.GetName().Name! };
        for (int i = 0; i < searched.Count && searched.Count < MaxAssemblies; i++)
        {
            foreach (AssemblyName reference in searched[i].GetReferencedAssemblies())
            {
                if (reference.Name is not { } name || IsPlatform(name) || !seen.Add(name))
                {
                    continue;
                }

                // Beside the application, as a build output puts a project reference; Assembly.Load alone would
                // look beside this tool (it is the caller), not beside the application.
                string beside = Path.Combine(Path.GetDirectoryName(application.Location)!, name + ".dll");
                try
                {
                    searched.Add(File.Exists(beside) ? Assembly.LoadFrom(beside) : Assembly.Load(reference));
                }
                catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // Not beside the application (a framework or a trimmed dependency): nothing of the user's to search.
                }
            }
        }

        return searched;
    }

    private static bool IsPlatform(string name) =>
        name is "mscorlib" or "netstandard" || name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal)
        || name is "SqlSync.Runtime" or "SqlSync.Server" or "SqlSync.Testing" || name.StartsWith("SQLitePCLRaw", StringComparison.Ordinal);

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.Where(t => t is not null)!;
        }
    }
}
