using System.Globalization;
using System.Text;
using SqlSync.Documents;
using SqlSync.Mutations;

namespace SqlSync.Testing;

/// <summary>
/// The text of a scenario's outcome: the mutations, every user schema object, each user table's rows
/// ordered by primary key, the rejections and the checksum. Only the database and the records decide it.
/// </summary>
internal static class ScenarioText
{
    private const string UserObjectsSql =
        "SELECT type, name, tbl_name, sql FROM sqlite_master " +
        "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name NOT LIKE '\\_\\_sqlsync\\_%' ESCAPE '\\'";

    private const string RejectionsSql = "SELECT timeline_id, lsn, error FROM __sqlsync_rejections ORDER BY timeline_id, lsn";

    public static string Render(MutationScenario scenario, CoordinatorDocument coordinator)
    {
        var text = new StringBuilder();
        text.Append("# SqlSync mutation scenario\n");
        text.Append("reducer: ").Append(scenario.Reducer.GetType().FullName?.Replace('+', '.')).Append('\n');
        text.Append("timeline: ").Append(MutationScenario.Timeline.ToString()).Append('\n');

        IMutation[] all = [.. scenario.GivenMutations, .. scenario.WhenMutations];
        AppendMutations(text, "given", scenario, all, 0, scenario.GivenMutations.Count);
        AppendMutations(text, "when", scenario, all, scenario.GivenMutations.Count, all.Length);

        var objects = coordinator.Query(UserObjectsSql)
            .Select(row => (Type: (string)row[0]!, Name: (string)row[1]!, Sql: (string)row[3]!))
            .OrderBy(o => TypeOrder(o.Type))
            .ThenBy(o => o.Name, StringComparer.Ordinal)
            .ToList();

        text.Append("\n## schema\n");
        if (objects.Count == 0)
        {
            text.Append("(empty)\n");
        }

        foreach (var o in objects)
        {
            text.Append(o.Sql).Append(";\n");
        }

        foreach (var table in objects.Where(o => o.Type == "table"))
        {
            AppendTable(text, coordinator, table.Name);
        }

        AppendRejections(text, coordinator, all);
        text.Append("\n## checksum\n0x").Append(coordinator.StorageChecksum.ToString("X16", CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }

    private static void AppendMutations(StringBuilder text, string title, MutationScenario scenario, IMutation[] all, int from, int to)
    {
        text.Append("\n## ").Append(title).Append('\n');
        if (from == to)
        {
            text.Append("(none)\n");
        }

        for (int i = from; i < to; i++)
        {
            text.Append("lsn ").Append(i.ToString(CultureInfo.InvariantCulture))
                .Append(" at ").Append(DateTimeOffset.FromUnixTimeMilliseconds(scenario.TimestampOf(i)).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
                .Append(": ").Append(Describe(all[i])).Append('\n');
        }
    }

    private static void AppendTable(StringBuilder text, CoordinatorDocument coordinator, string table)
    {
        var columns = coordinator.Query("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid", table)
            .Select(row => (Name: (string)row[0]!, Pk: (long)row[1]!))
            .ToList();
        bool withoutRowid = coordinator.Query("SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1", table)
            .Select(row => (long)row[0]! != 0)
            .FirstOrDefault();

        var order = columns.Where(c => c.Pk > 0).OrderBy(c => c.Pk).Select(c => SqlLiteral.Identifier(c.Name)).ToList();
        if (!withoutRowid)
        {
            order.Add("rowid"); // the whole order when there is no declared key; a tiebreak for NULL keys otherwise
        }

        string sql = $"SELECT * FROM {SqlLiteral.Identifier(table)} ORDER BY {string.Join(", ", order)}";
        var rows = coordinator.Query(sql);

        text.Append("\n## table ").Append(table).Append(" (")
            .Append(rows.Count.ToString(CultureInfo.InvariantCulture)).Append(rows.Count == 1 ? " row)\n" : " rows)\n");
        text.Append('(').Append(string.Join(", ", columns.Select(c => c.Name))).Append(")\n");
        foreach (object?[] row in rows)
        {
            text.Append('(').Append(string.Join(", ", row.Select(SqlLiteral.Format))).Append(")\n");
        }
    }

    private static void AppendRejections(StringBuilder text, CoordinatorDocument coordinator, IMutation[] all)
    {
        var rejections = coordinator.Query(RejectionsSql);
        text.Append("\n## rejected (").Append(rejections.Count.ToString(CultureInfo.InvariantCulture)).Append(")\n");
        foreach (object?[] row in rejections)
        {
            long lsn = (long)row[1]!;
            string mutation = (string)row[0]! == MutationScenario.Timeline.ToString() && lsn >= 0 && lsn < all.Length
                ? Describe(all[lsn])
                : $"timeline {row[0]}";
            text.Append("lsn ").Append(lsn.ToString(CultureInfo.InvariantCulture)).Append(": ").Append(mutation).Append('\n');
            text.Append("  error: ").Append(((string)row[2]!).Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
        }
    }

    /// <summary>A generated record prints its name and JSON form; anything else its own <c>ToString</c>.</summary>
    private static string Describe(IMutation mutation) =>
        (mutation.ToString() ?? mutation.GetType().Name).Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ');

    private static int TypeOrder(string type) => type switch
    {
        "table" => 0,
        "index" => 1,
        "view" => 2,
        "trigger" => 3,
        _ => 4,
    };
}
