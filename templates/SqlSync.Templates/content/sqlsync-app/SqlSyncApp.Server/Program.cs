using SqlSync.Server;
using SqlSyncApp.Mutations;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSqlSync(options =>
{
    options.DataDirectory = "sqlsync-data";
    options.UseReducer(TodoMutations.Reducer.Instance);
    // Who may read and write which document: decide from http.User, a header, the document id...
    // Until you do, every client may read and write every document, which only Development allows.
    options.AllowAnonymous = builder.Environment.IsDevelopment();
});

var app = builder.Build();
app.MapSqlSync("/sync");
app.Run();
