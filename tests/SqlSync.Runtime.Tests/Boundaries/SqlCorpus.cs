namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// The SQL corpus of Corpus/*.corpus (README.md there): databases, each a list of scripts run in order.
/// Lines: <c>@database NAME</c> starts a database, <c>@script</c> a script; any other line is SQL of the
/// current script. <c>#</c> lines before the first database are comments.
/// </summary>
public sealed record SqlCorpus(IReadOnlyList<SqlCorpus.Database> Databases)
{
    public static SqlCorpus Read(string path)
    {
        var databases = new List<Database>();
        List<string>? scripts = null;
        System.Text.StringBuilder? script = null;

        void EndScript()
        {
            if (script is not null)
            {
                scripts!.Add(script.ToString());
                script = null;
            }
        }

        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith("@database ", StringComparison.Ordinal))
            {
                EndScript();
                scripts = new List<string>();
                databases.Add(new Database(line["@database ".Length..], scripts));
            }
            else if (line == "@script")
            {
                EndScript();
                script = new System.Text.StringBuilder();
            }
            else if (script is not null)
            {
                script.Append(line).Append('\n');
            }
            else if (!line.StartsWith('#') && line.Length > 0)
            {
                throw new InvalidDataException($"{path}: a line outside any script: {line}");
            }
        }

        EndScript();
        return new SqlCorpus(databases);
    }

    public sealed record Database(string Name, IReadOnlyList<string> Scripts);
}
