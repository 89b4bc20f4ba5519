/*
 * sg-gen.c - a deterministic generator of realistic sales-pipeline data in
 * the canonical CSV layout of docs/design.md §3, for demos, tests and the
 * benchmark.
 *
 *   sg-gen --opps N --seed S --out DIR [--as-of ISO] [--span-days D]
 *          [--config-out FILE] [--quiet]
 *
 * writes opportunities.csv, stage_history.csv, field_history.csv,
 * activities.csv, evidence.csv, owners.csv and snapshot.json in DIR and,
 * with --config-out, a rules config (§4) that matches the data.
 *
 * Same arguments, same bytes: every opportunity draws from its own
 * xoshiro256** stream seeded from (seed, opportunity number), all sampling
 * is integer arithmetic (quantile tables, no libm), every statement draws
 * at most once (argument order is unspecified), and nothing depends on the
 * clock, the locale or the compiler.  Opportunities are generated and
 * written one at a time into per-file buffers, so memory stays small at
 * any N.
 *
 * The distributions are calibrated on the public Maven Analytics CRM
 * sample (read in place, never copied): about 46% won, 28% lost and 26%
 * open, a 62% win rate among closed deals, cycle length 1-138 days with a
 * median of 57 days for won deals and 14 for lost ones, single-product
 * hardware deal sizes, about 250 deals per agent and six agents per
 * manager in three offices.  A small share of the records carry the data
 * problems of §5 (unknown stage, no history, stage mismatch, future event,
 * event before creation, contradictory from-stage, missing owner,
 * duplicate record), and when N >= 16 one opportunity of each kind is
 * planted open at a fixed position, so every data_quality reason fires
 * even on small samples.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* Bump when the output for the same arguments changes (bench caches on it). */
#define GEN_VERSION "4"
#define GEN_BUF_SIZE (1u << 20)
#define GEN_ROW_MAX 4096
#define GEN_MAX_EVENTS 40
#define GEN_MAX_ACTS 64
#define GEN_MAX_EVID 48
#define GEN_MAX_CHANGES 16
#define GEN_DAY 86400
#define GEN_HOUR 3600
#define GEN_MAX_OPPS 100000000ull
#define GEN_DEFAULT_AS_OF "2026-11-20T18:00:00Z"

/* Stages: the five open stages in order, then the two closed ones. */
enum {
	ST_DISC, ST_QUAL, ST_SOL, ST_PROP, ST_NEG, ST_WON, ST_LOST,
	ST_COUNT,
	/* Labels no config knows (legacy stages of an old pipeline). */
	ST_UNK0 = ST_COUNT, ST_UNK1, ST_UNK2, ST_ALL
};

static const char *const gen_stage_id[ST_ALL] = {
	"discovery", "qualification", "solution", "proposal", "negotiation",
	"closed_won", "closed_lost", "Prospecting", "Demo Scheduled",
	"Engaging"
};

static const char *const gen_stage_label[ST_COUNT] = {
	"Discovery", "Qualification", "Solution", "Proposal", "Negotiation",
	"Closed won", "Closed lost"
};

static const char *const gen_stage_fc[ST_COUNT] = {
	"pipeline", "pipeline", "best_case", "best_case", "commit",
	"closed", "omitted"
};

static const int gen_stage_max_age[ST_COUNT] = { 14, 21, 30, 21, 14, 0, 0 };
static const int gen_seg_max_age[3][5] = {
	{ 10, 14, 21, 14, 10 },         /* smb */
	{ 0, 0, 0, 0, 0 },              /* mid: the stage's own */
	{ 30, 30, 45, 30, 21 },         /* enterprise */
};

enum {
	CR_PAIN, CR_BUDGET, CR_DM, CR_TECH, CR_PATH, CR_VERBAL, CR_COUNT
};

static const char *const gen_crit_id[CR_COUNT] = {
	"pain_confirmed", "budget_confirmed", "decision_maker",
	"technical_fit", "decision_path", "verbal_commit"
};

static const char *const gen_crit_label[CR_COUNT] = {
	"Pain confirmed by the buyer",
	"Budget confirmed by the buyer",
	"Decision maker identified and engaged",
	"Technical fit validated",
	"Decision process and paper path mapped by the buyer",
	"Verbal commitment from the buyer"
};

/* technical_fit may come from the seller's engineer */
static const int gen_crit_buyer_only[CR_COUNT] = { 1, 1, 1, 0, 1, 1 };
static const int gen_crit_max_age[CR_COUNT] = { 0, 180, 0, 0, 0, 30 };

/* Exit criteria per open stage, -1 terminated. */
static const int gen_exit[5][3] = {
	{ CR_PAIN, -1, -1 },
	{ CR_BUDGET, CR_DM, -1 },
	{ CR_TECH, -1, -1 },
	{ CR_PATH, -1, -1 },
	{ CR_VERBAL, -1, -1 },
};

/* Required fields per stage as a bit set. */
enum { RF_AMOUNT = 1, RF_CLOSE = 2, RF_NEXT = 4 };
static const int gen_required[ST_COUNT] = {
	RF_AMOUNT, RF_AMOUNT | RF_CLOSE, RF_AMOUNT | RF_CLOSE | RF_NEXT,
	RF_AMOUNT | RF_CLOSE | RF_NEXT, RF_AMOUNT | RF_CLOSE | RF_NEXT,
	RF_AMOUNT | RF_CLOSE, 0
};

static const char *const gen_placeholders[] = {
	"tbd", "n/a", "na", "none", "-", "?", "xxx", "test", "placeholder",
	"unknown"
};

/* Data-quality problems, in the order of §5. */
enum {
	DQ_NONE, DQ_UNKNOWN_STAGE, DQ_NO_HISTORY, DQ_STAGE_MISMATCH,
	DQ_FUTURE_EVENT, DQ_BEFORE_CREATED, DQ_CONTRADICTORY,
	DQ_MISSING_OWNER, DQ_DUPLICATE, DQ_COUNT
};

static const char *const gen_dq_name[DQ_COUNT] = {
	"none", "unknown_stage", "no_history", "stage_mismatch",
	"future_event", "before_created", "contradictory_history",
	"missing_owner", "duplicate_record"
};

enum { OUT_WON, OUT_LOST, OUT_OPEN };
enum { SEG_SMB, SEG_MID, SEG_ENT };
static const char *const gen_segment[3] = { "smb", "mid", "enterprise" };

/* Single-unit hardware products, prices and mix after the Maven sample. */
static const char *const gen_product[7] = {
	"Edge Basic", "Edge Pro", "Edge Plus", "Edge Plus Pro",
	"Mini Standard", "Mini Advanced", "Rack 500"
};
static const int64_t gen_price[7] = { 550, 4820, 1100, 5480, 55, 3390,
				      26770 };
static const uint32_t gen_product_w[7] = { 1866, 1480, 1383, 968, 1651,
					   1412, 40 };

static const char *const gen_first[40] = {
	"Ada", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo",
	"Ines", "Jonas", "Kira", "Liam", "Maya", "Nils", "Olga", "Pablo",
	"Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wes", "Xenia",
	"Yusuf", "Zoe", "Anton", "Bea", "Cyril", "Dora", "Emil", "Fiona",
	"Gus", "Hana", "Ivo", "Jade", "Karl", "Lena", "Milo", "Nora"
};
static const char *const gen_last[40] = {
	"Abbott", "Brandt", "Castillo", "Dubois", "Eriksen", "Fischer",
	"Garcia", "Hoffman", "Ibarra", "Jensen", "Kowalski", "Lindqvist",
	"Moreau", "Novak", "Okafor", "Petrov", "Quinlan", "Rossi", "Schmidt",
	"Tanaka", "Urban", "Varga", "Weber", "Xu", "Young", "Zimmer",
	"Alvarez", "Becker", "Chen", "Diaz", "Evans", "Fontaine", "Gupta",
	"Hayes", "Iversen", "Jovanovic", "Keller", "Larsen", "Mbeki", "Nagy"
};

static const char *const gen_acc_pre[30] = {
	"Blue", "North", "Silver", "Bright", "Iron", "Green", "Summit",
	"Rapid", "Cedar", "Harbor", "Nova", "Pioneer", "Quantum", "Red",
	"Stone", "Vertex", "Apex", "Clear", "Delta", "Echo", "Falcon",
	"Granite", "Helix", "Lumen", "Maple", "Orbit", "Prime", "River",
	"Sky", "Terra"
};
static const char *const gen_acc_suf[20] = {
	"tech", "works", "soft", "logic", "labs", "systems", "dynamics",
	"med", "health", "foods", "energy", "motors", "bank", "logistics",
	"media", "retail", "pharma", "capital", "cloud", "data"
};
static const char *const gen_acc_form[8] = {
	"", ", Inc.", "", " GmbH", "", " Ltd", ", Inc.", " & Co"
};
#define GEN_ACCOUNTS 600

static const char *const gen_next_steps[] = {
	"Send proposal to CFO",
	"Schedule technical deep dive",
	"Follow up on pricing, then legal review",
	"Book demo with the IT team",
	"Confirm budget owner",
	"Prepare mutual action plan",
	"Answer security questionnaire",
	"Negotiate MSA redlines",
	"Intro call with procurement",
	"Share ROI model with finance",
	"Onsite workshop with operations",
	"Send reference customer list",
	"Get sign-off from \"steering committee\"",
	"Align on rollout timeline",
	"Review pilot results with champion",
	"Send revised quote",
	"Call back next week",
	"Executive sponsor meeting",
	"Collect requirements from end users",
	"Send order form for signature"
};
#define GEN_NEXT_STEPS (sizeof(gen_next_steps) / sizeof(gen_next_steps[0]))

/* Evidence values, four per criterion. */
static const char *const gen_evidence_value[CR_COUNT][4] = {
	{ "Manual reporting costs two FTE per quarter",
	  "Outages on legacy hardware hurt field sales",
	  "Current vendor contract ends next quarter",
	  "yes - confirmed on discovery call" },
	{ "Budget approved for FY27",
	  "CFO confirmed the envelope by email",
	  "Funded from the IT refresh budget",
	  "yes, budget line 4410" },
	{ "VP Operations signs; CFO approves above 100k",
	  "Head of IT is the economic buyer",
	  "COO owns the decision",
	  "Decision maker met in person" },
	{ "Integration test passed in buyer sandbox",
	  "SE validated sizing, no blockers",
	  "Compatible with existing racks",
	  "Security review passed" },
	{ "Procurement, legal, then CFO signature",
	  "Board approval not needed under 250k",
	  "Paper process mapped with procurement",
	  "Mutual action plan shared by the buyer" },
	{ "Champion: \"we want to go ahead\"",
	  "Verbal yes from the CFO",
	  "Buyer confirmed selection by phone",
	  "Verbal commit, paperwork next" },
};

static const char *const gen_placeholder_values[6] = {
	"tbd", "TBD", "n/a", "-", "?", "xxx"
};

enum { PA_BUYER, PA_SELLER, PA_SYSTEM, PA_UNKNOWN };
enum { AT_EMAIL, AT_CALL, AT_MEETING, AT_NOTE, AT_TASK, AT_DOCUMENT,
       AT_OTHER, AT_COUNT };
static const char *const gen_act_type[AT_COUNT] = {
	"email", "call", "meeting", "note", "task", "document", "other"
};
static const char *const gen_party[4] = { "buyer", "seller", "system",
					   "unknown" };

/* Activity type weights per party. */
static const uint32_t gen_type_w[3][AT_COUNT] = {
	{ 45, 20, 30, 0, 0, 5, 0 },     /* buyer */
	{ 45, 25, 5, 10, 15, 0, 0 },    /* seller */
	{ 0, 0, 0, 30, 40, 0, 30 },     /* system */
};

/* Subjects per party and type, NULL terminated. */
static const char *const gen_subj_buyer_email[] = {
	"Re: pricing question", "Re: follow-up, next steps",
	"Question about \"Pro\" licensing", "Re: proposal v2",
	"Introductions to our IT team", "Re: security questionnaire",
	"Budget update", "Re: timeline for rollout", NULL
};
static const char *const gen_subj_buyer_call[] = {
	"Inbound call from buyer", "Call: budget discussion",
	"Call with procurement", "Reference call request", NULL
};
static const char *const gen_subj_buyer_meeting[] = {
	"Discovery call", "Technical deep dive", "Demo with operations team",
	"Stakeholder alignment", "Pricing review",
	"Executive sponsor meeting", "Onsite workshop, day 1", NULL
};
static const char *const gen_subj_buyer_doc[] = {
	"Signed NDA", "RFP response from buyer", "Requirements list",
	"Redlined MSA", NULL
};
static const char *const gen_subj_seller_email[] = {
	"Follow-up after demo", "Proposal sent", "Checking in",
	"Case study, as promised", "Pricing options",
	"Meeting recap and next steps", "Intro: solutions engineer", NULL
};
static const char *const gen_subj_seller_call[] = {
	"Cold call", "Left voicemail", "Follow-up call, no answer",
	"Call: qualification", NULL
};
static const char *const gen_subj_seller_meeting[] = {
	"Internal forecast call", "Deal strategy session", NULL
};
static const char *const gen_subj_seller_note[] = {
	"Internal deal review", "Pricing approval requested",
	"Competitor mentioned: \"Vertex\"", "Champion changed roles", NULL
};
static const char *const gen_subj_seller_task[] = {
	"Prepare proposal", "Update mutual action plan",
	"Send contract draft", "Book follow-up", NULL
};
static const char *const gen_subj_system_note[] = {
	"Stage changed by workflow", "Record updated via API",
	"Lead converted", NULL
};
static const char *const gen_subj_system_task[] = {
	"Sequence step 3: email", "Auto: stale deal reminder",
	"Renewal reminder", NULL
};
static const char *const gen_subj_system_other[] = {
	"Web visit: pricing page", "Email opened", "Form fill: contact us",
	NULL
};

static const char *const gen_offices[3] = { "Central", "East", "West" };

/* Cycle length quantiles in days (0%, 10%, ..., 100%). */
static const int gen_cycle_won[11] = { 1, 24, 35, 44, 51, 57, 64, 73, 86,
				       104, 138 };
static const int gen_cycle_lost[11] = { 1, 2, 4, 7, 10, 14, 19, 27, 40,
					66, 138 };

/* ---- deterministic random numbers ---- */

struct gen_rng {
	uint64_t s[4];
};

static uint64_t gen_splitmix(uint64_t *x)
{
	uint64_t z;

	*x += 0x9e3779b97f4a7c15ull;
	z = *x;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void gen_rng_seed(struct gen_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = gen_splitmix(&x);
}

static uint64_t gen_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna, public domain). */
static uint64_t gen_next(struct gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = gen_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gen_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) for n < 2^32. */
static uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
	return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]; lo when hi < lo. */
static int64_t gen_range(struct gen_rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(gen_next(r) % (uint64_t)(hi - lo + 1));
}

/* True with probability permille / 1000. */
static int gen_chance(struct gen_rng *r, uint32_t permille)
{
	return gen_below(r, 1000) < permille;
}

static int gen_pick(struct gen_rng *r, const uint32_t *w, int n)
{
	uint32_t total = 0, u;
	int i;

	for (i = 0; i < n; i++)
		total += w[i];
	u = gen_below(r, total);
	for (i = 0; i < n; i++) {
		if (u < w[i])
			return i;
		u -= w[i];
	}
	return n - 1;
}

/* A duration in seconds drawn from a table of day quantiles. */
static int64_t gen_quantile(struct gen_rng *r, const int q[11])
{
	uint32_t u = gen_below(r, 1000000);
	uint32_t seg = u / 100000, frac = u % 100000;
	int64_t lo = (int64_t)q[seg] * GEN_DAY;
	int64_t hi = (int64_t)q[seg + 1] * GEN_DAY;

	return lo + (hi - lo) * frac / 100000;
}

static const char *gen_pick_str(struct gen_rng *r, const char *const *list)
{
	uint32_t n = 0;

	while (list[n] != NULL)
		n++;
	return list[gen_below(r, n)];
}

/*
 * Moves t to a time of its own day: working hours (07:00-19:00 UTC) nine
 * times in ten, any hour otherwise.
 */
static int64_t gen_snap(struct gen_rng *r, int64_t t)
{
	int64_t day = t / GEN_DAY;

	if (gen_chance(r, 900))
		return day * GEN_DAY + 7 * GEN_HOUR +
		       gen_range(r, 0, 12 * GEN_HOUR - 1);
	return day * GEN_DAY + gen_range(r, 0, GEN_DAY - 1);
}

/* A time in [lo, hi], in working hours when that stays in range. */
static int64_t gen_when(struct gen_rng *r, int64_t lo, int64_t hi)
{
	int64_t t = gen_range(r, lo, hi), s = gen_snap(r, t);

	return s >= lo && s <= hi ? s : t;
}

/* ---- time ---- */

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t gen_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void gen_civil(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t gen_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int gen_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Parses YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z into seconds since the epoch.
 * Returns 0 or -1 when the text is anything else.
 */
static int gen_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s);

	if (len < 10 || gen_digits(s, 4, &y) || s[4] != '-' ||
	    gen_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    gen_digits(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (len > 10) {
		if (s[10] != 'T' || len < 17 || gen_digits(s + 11, 2, &h) ||
		    s[13] != ':' || gen_digits(s + 14, 2, &mi))
			return -1;
		if (len == 20 && s[16] == ':' && s[19] == 'Z') {
			if (gen_digits(s + 17, 2, &se))
				return -1;
		} else if (!(len == 17 && s[16] == 'Z')) {
			return -1;
		}
		if (h > 23 || mi > 59 || se > 59)
			return -1;
	}
	*out = gen_days_from_civil(y, mo, d) * GEN_DAY + h * 3600 + mi * 60 +
	       se;
	return 0;
}

/* ---- buffered output with hand-formatted fields ---- */

enum { F_OPPS, F_STAGES, F_FIELDS, F_ACTS, F_EVID, F_OWNERS, F_COUNT };
static const char *const gen_file_name[F_COUNT] = {
	"opportunities.csv", "stage_history.csv", "field_history.csv",
	"activities.csv", "evidence.csv", "owners.csv"
};
static const char *const gen_file_header[F_COUNT] = {
	"id,name,pipeline,stage,owner_id,amount,currency,close_date,"
	"forecast_category,created_at,next_step,next_step_date,segment,"
	"product\n",
	"opportunity_id,from_stage,to_stage,changed_at,changed_by,source\n",
	"opportunity_id,field,old_value,new_value,changed_at\n",
	"id,opportunity_id,type,party,occurred_at,actor,subject\n",
	"opportunity_id,criterion,value,party,observed_at,ref\n",
	"id,name,email,manager_id,team\n"
};

struct gen_file {
	char path[PATH_MAX];
	FILE *fp;
	char *buf;
	size_t len;
	uint64_t rows;
	uint64_t bytes;
};

static int gen_flush(struct gen_file *f)
{
	if (f->len == 0)
		return 0;
	if (fwrite(f->buf, 1, f->len, f->fp) != f->len) {
		fprintf(stderr, "sg-gen: %s: write failed: %s\n", f->path,
			strerror(errno));
		return -1;
	}
	f->bytes += f->len;
	f->len = 0;
	return 0;
}

/* A write pointer with room for one row of at most GEN_ROW_MAX bytes. */
static char *gen_room(struct gen_file *f, int *failed)
{
	if (f->len + GEN_ROW_MAX > GEN_BUF_SIZE && gen_flush(f) != 0)
		*failed = 1;
	if (*failed)
		f->len = 0;
	return f->buf + f->len;
}

static void gen_done(struct gen_file *f, char *end)
{
	f->len = (size_t)(end - f->buf);
	f->rows++;
}

static char *w_str(char *p, const char *s)
{
	while (*s != '\0')
		*p++ = *s++;
	return p;
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static char *w_field(char *p, const char *s)
{
	const char *q;

	for (q = s; *q != '\0'; q++) {
		if (*q == ',' || *q == '"' || *q == '\n' || *q == '\r')
			break;
	}
	if (*q == '\0')
		return w_str(p, s);
	*p++ = '"';
	for (q = s; *q != '\0'; q++) {
		if (*q == '"')
			*p++ = '"';
		*p++ = *q;
	}
	*p++ = '"';
	return p;
}

static char *w_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* v zero-padded to at least width digits. */
static char *w_pad(char *p, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static char *w_2(char *p, int v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *w_date(char *p, int64_t day)
{
	int64_t y;
	int m, d;

	gen_civil(day, &y, &m, &d);
	p = w_pad(p, (uint64_t)y, 4);
	*p++ = '-';
	p = w_2(p, m);
	*p++ = '-';
	return w_2(p, d);
}

static char *w_time(char *p, int64_t t)
{
	int64_t day = gen_floor_div(t, GEN_DAY);
	int sec = (int)(t - day * GEN_DAY);

	p = w_date(p, day);
	*p++ = 'T';
	p = w_2(p, sec / 3600);
	*p++ = ':';
	p = w_2(p, sec / 60 % 60);
	*p++ = ':';
	p = w_2(p, sec % 60);
	*p++ = 'Z';
	return p;
}

static char *w_money(char *p, int64_t cents)
{
	p = w_u64(p, (uint64_t)(cents / 100));
	*p++ = '.';
	return w_2(p, (int)(cents % 100));
}

/* ---- the model of one opportunity ---- */

enum { BY_OWNER, BY_MANAGER, BY_INTEGRATION };
static const char *const gen_source[4] = { "ui", "api", "workflow",
					    "import" };

struct gen_event {
	int64_t at;
	int stage;              /* the stage the path moves to */
	int to;                 /* the label written (stage or unknown) */
	int from;               /* label written as from_stage, -1 empty */
	int by, src;
	int dup;                /* written twice, identical */
};

struct gen_act {
	int64_t at;
	int type, party;
	const char *subject;
	int contact;
};

struct gen_evid {
	int64_t at;
	int crit, party;
	const char *value;
	int ref;                /* index of the activity it cites, -1 none */
};

enum { FLD_AMOUNT, FLD_CLOSE, FLD_NEXT };
static const char *const gen_field_name[3] = { "amount", "close_date",
						"next_step" };

struct gen_change {
	int64_t at;
	int field;
	int64_t old_v, new_v;   /* cents, a day, or a next-step index */
};

struct gen_opp {
	uint64_t num;           /* 1-based number in the id */
	int deleted;            /* history only: no opportunity row */
	int renewal;            /* out of scope: another pipeline */
	int dq;
	int outcome, segment, product, account, currency;
	long owner;             /* -1: missing */
	int64_t amount;         /* cents; -1 empty */
	int64_t created, created_written;
	int64_t close_day;      /* INT64_MIN: empty */
	int next_step;          /* index, -1 empty, -2 - k placeholder k */
	int64_t next_step_day;  /* INT64_MIN: empty */
	int stage;              /* current stage label written */
	int open;               /* open at as-of */
	int expansion;
	const char *forecast;
	int dup;                /* 1 identical row again, 2 differing */

	struct gen_event ev[GEN_MAX_EVENTS];
	int nev;
	int64_t stint[GEN_MAX_EVENTS]; /* entered(from-stage) per event */
	int seller_driven[GEN_MAX_EVENTS];
	int64_t anchor[GEN_MAX_EVENTS]; /* buyer touch before a move, or 0 */
	int contact_base, contacts;
	struct gen_act act[GEN_MAX_ACTS];
	int nact;
	struct gen_evid evid[GEN_MAX_EVID];
	int nevid;
	struct gen_change chg[GEN_MAX_CHANGES];
	int nchg;
};

struct gen_ctx {
	uint64_t opps, seed;
	int64_t as_of, span;
	long owners, managers;
	int64_t planted[DQ_COUNT];
	uint64_t act_seq;
	struct gen_file f[F_COUNT];
	int failed;
	uint64_t dq_count[DQ_COUNT];
	uint64_t opened, won, lost;
	int id_width;
	char pending[GEN_ROW_MAX];      /* a duplicate row, written late */
	size_t pending_len;
	struct gen_opp opp;
};

static char *w_opp_id(char *p, const struct gen_ctx *c, uint64_t num)
{
	p = w_str(p, "opp-");
	return w_pad(p, num, c->id_width);
}

static char *w_owner_id(char *p, long k)
{
	*p++ = 'u';
	return w_pad(p, (uint64_t)k + 1, 4);
}

static char *w_manager_id(char *p, long k)
{
	*p++ = 'm';
	return w_pad(p, (uint64_t)k + 1, 3);
}

static long gen_manager_of(const struct gen_ctx *c, long owner)
{
	return (long)((int64_t)owner * c->managers / c->owners);
}

static void gen_account_name(char *buf, size_t size, int k)
{
	snprintf(buf, size, "%s%s%s", gen_acc_pre[k % 30],
		 gen_acc_suf[k / 30 % 20], gen_acc_form[(k * 7 + k / 30) % 8]);
}

/* a lowercase mail domain for an account */
static char *w_domain(char *p, int k)
{
	const char *s = gen_acc_pre[k % 30];

	*p++ = (char)(*s + ('a' - 'A'));
	p = w_str(p, s + 1);
	p = w_str(p, gen_acc_suf[k / 30 % 20]);
	return w_str(p, ".example");
}

static char *w_lower(char *p, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*p++ = (char)(*s + ('a' - 'A'));
		else
			*p++ = *s;
	}
	return p;
}

/* a person's name for k, unique for k < 1600 */
static char *w_person(char *p, long k, int email)
{
	const char *first = gen_first[k % 40];
	const char *last = gen_last[(k % 40 * 13 + k / 40) % 40];

	if (!email) {
		p = w_str(p, first);
		*p++ = ' ';
		return w_str(p, last);
	}
	p = w_lower(p, first);
	*p++ = '.';
	return w_lower(p, last);
}

/* ---- generating one opportunity ---- */

static int gen_is_advance(const struct gen_opp *o, int j)
{
	int from, to;

	if (j == 0)
		return o->ev[0].stage > ST_DISC && o->ev[0].stage != ST_LOST;
	from = o->ev[j - 1].stage;
	to = o->ev[j].stage;
	if (to == ST_LOST || from == ST_WON || from == ST_LOST)
		return 0;
	return to > from;
}

static void gen_push(struct gen_opp *o, int stage)
{
	if (o->nev < GEN_MAX_EVENTS - 4) {
		o->ev[o->nev].stage = stage;
		o->nev++;
	}
}

/* Same-stage saves (an edit that rewrites the stage) after some events. */
static void gen_saves(struct gen_rng *r, struct gen_opp *o)
{
	int j, k;

	for (j = 0; j < o->nev && o->nev < GEN_MAX_EVENTS - 8; j++) {
		if (!gen_chance(r, 70))
			continue;
		for (k = o->nev; k > j + 1; k--)
			o->ev[k] = o->ev[k - 1];
		o->ev[j + 1].stage = o->ev[j].stage;
		o->nev++;
		j++;
	}
}

/* The sequence of stages, before any time is set. */
static void gen_path(struct gen_rng *r, struct gen_opp *o)
{
	static const uint32_t lost_w[5] = { 35, 25, 20, 12, 8 };
	static const uint32_t open_w[5] = { 30, 25, 20, 15, 10 };
	static const uint32_t start_w[3] = { 880, 90, 30 };
	int goal, cur, regressions = 0, start;
	uint32_t u;

	o->nev = 0;
	if (o->outcome == OUT_LOST && gen_chance(r, 15)) {
		/* A disqualified lead created directly as lost. */
		gen_push(o, ST_LOST);
		return;
	}
	if (o->outcome == OUT_WON)
		goal = ST_NEG;
	else if (o->outcome == OUT_LOST)
		goal = gen_pick(r, lost_w, 5);
	else
		goal = gen_pick(r, open_w, 5);
	start = gen_pick(r, start_w, 3);
	if (start > goal)
		start = goal;
	cur = start;
	gen_push(o, cur);
	while (cur < goal && o->nev < GEN_MAX_EVENTS - 8) {
		u = gen_below(r, 1000);
		if (o->outcome == OUT_WON && cur == ST_PROP && u < 30) {
			cur = ST_WON;   /* signed straight from proposal */
			break;
		}
		if (u < 60 && cur > start && regressions < 2) {
			cur--;
			regressions++;
		} else if (u < 130) {
			/* a same-stage save: not a move */
		} else if (u < 200 && cur + 2 <= goal) {
			cur += 2;
		} else {
			cur++;
		}
		gen_push(o, cur);
	}
	if (o->outcome == OUT_WON) {
		if (cur != ST_WON)
			gen_push(o, ST_WON);
		if (gen_chance(r, 10)) {
			gen_push(o, ST_LOST);   /* cancelled after signing */
			o->outcome = OUT_LOST;
		}
	} else if (o->outcome == OUT_LOST) {
		gen_push(o, ST_LOST);
		if (gen_chance(r, 50)) {
			gen_push(o, goal > ST_DISC ? goal - 1 : ST_DISC);
			if (gen_chance(r, 500))
				gen_push(o, ST_LOST);
			else
				o->outcome = OUT_OPEN;
		}
	}
	gen_saves(r, o);
}

/* Event times: the creation at created, the rest spread up to last. */
static void gen_times(struct gen_rng *r, const struct gen_ctx *c,
		      struct gen_opp *o)
{
	int64_t cycle, last, w[GEN_MAX_EVENTS], total = 0, acc = 0;
	int64_t earliest = c->as_of - c->span;
	int j;

	if (o->outcome == OUT_OPEN) {
		if (gen_chance(r, 650))
			o->created = c->as_of - gen_range(r, 2 * GEN_DAY,
							  60 * GEN_DAY);
		else
			o->created = c->as_of - gen_range(r, 2 * GEN_DAY,
							  c->span);
		last = o->created + (c->as_of - GEN_DAY - o->created) *
		       gen_range(r, 5, 90) / 100;
	} else {
		cycle = gen_quantile(r, o->outcome == OUT_WON ?
				     gen_cycle_won : gen_cycle_lost);
		last = gen_range(r, earliest, c->as_of - GEN_DAY);
		o->created = last - cycle - gen_range(r, 0, 8 * GEN_HOUR);
		if (o->nev == 1)
			o->created = last;
	}
	o->created = gen_snap(r, o->created);
	if (last < o->created)
		last = o->created;
	o->ev[0].at = o->created;
	if (gen_chance(r, 200))
		o->ev[0].at += gen_range(r, 1, 45);
	for (j = 1; j < o->nev; j++) {
		/* same-stage saves follow their previous event closely */
		if (o->ev[j].stage == o->ev[j - 1].stage)
			w[j] = 1;
		else
			w[j] = 2 + gen_below(r, 10);
		total += w[j];
	}
	for (j = 1; j < o->nev; j++) {
		acc += w[j];
		o->ev[j].at = o->ev[0].at + (last - o->ev[0].at) * acc / total;
		if (w[j] > 1)
			o->ev[j].at = gen_snap(r, o->ev[j].at);
		if (o->ev[j].at <= o->ev[j - 1].at)
			o->ev[j].at = o->ev[j - 1].at + gen_range(r, 60, 900);
	}
	/* the rare pile-up near as-of is pulled back before it */
	if (o->ev[o->nev - 1].at > c->as_of - 60) {
		o->ev[o->nev - 1].at = c->as_of - 60;
		for (j = o->nev - 2; j >= 0; j--) {
			if (o->ev[j].at >= o->ev[j + 1].at)
				o->ev[j].at = o->ev[j + 1].at - 60;
		}
		if (o->created > o->ev[0].at)
			o->created = o->ev[0].at;
	}
}

static void gen_event_meta(struct gen_rng *r, struct gen_opp *o)
{
	static const uint32_t by_w[3] = { 75, 10, 15 };
	static const uint32_t src_w[4] = { 70, 15, 10, 5 };
	int j;

	for (j = 0; j < o->nev; j++) {
		struct gen_event *e = &o->ev[j];

		e->to = e->stage;
		e->by = gen_pick(r, by_w, 3);
		e->src = e->by == BY_INTEGRATION ? 1 + (int)gen_below(r, 2) :
			 gen_pick(r, src_w, 4);
		if (j == 0)
			e->from = gen_chance(r, 100) ? e->stage : -1;
		else
			e->from = gen_chance(r, 850) ? o->ev[j - 1].stage : -1;
		e->dup = gen_chance(r, 4);
	}
}

/* entered(from-stage) for every event; seller-driven advances. */
static void gen_stints(struct gen_rng *r, struct gen_opp *o)
{
	int64_t entered = o->ev[0].at;
	int j;

	o->stint[0] = o->ev[0].at;
	o->seller_driven[0] = 0;
	for (j = 1; j < o->nev; j++) {
		o->stint[j] = entered;
		o->seller_driven[j] = gen_is_advance(o, j) &&
				      gen_chance(r, 110);
		if (o->ev[j].stage != o->ev[j - 1].stage)
			entered = o->ev[j].at;
	}
}

static int gen_in_seller_stint(const struct gen_opp *o, int64_t t)
{
	int j;

	for (j = 1; j < o->nev; j++) {
		if (o->seller_driven[j] && t >= o->stint[j] &&
		    t <= o->ev[j].at)
			return 1;
	}
	return 0;
}

static const char *gen_subject(struct gen_rng *r, int party, int type)
{
	if (party == PA_BUYER) {
		if (type == AT_EMAIL)
			return gen_pick_str(r, gen_subj_buyer_email);
		if (type == AT_CALL)
			return gen_pick_str(r, gen_subj_buyer_call);
		if (type == AT_MEETING)
			return gen_pick_str(r, gen_subj_buyer_meeting);
		return gen_pick_str(r, gen_subj_buyer_doc);
	}
	if (party == PA_SELLER) {
		if (type == AT_EMAIL)
			return gen_pick_str(r, gen_subj_seller_email);
		if (type == AT_CALL)
			return gen_pick_str(r, gen_subj_seller_call);
		if (type == AT_MEETING)
			return gen_pick_str(r, gen_subj_seller_meeting);
		if (type == AT_NOTE)
			return gen_pick_str(r, gen_subj_seller_note);
		return gen_pick_str(r, gen_subj_seller_task);
	}
	if (type == AT_NOTE)
		return gen_pick_str(r, gen_subj_system_note);
	if (type == AT_TASK)
		return gen_pick_str(r, gen_subj_system_task);
	return gen_pick_str(r, gen_subj_system_other);
}

static void gen_add_act(struct gen_rng *r, struct gen_opp *o, int64_t at,
			int party)
{
	struct gen_act *a;

	if (o->nact >= GEN_MAX_ACTS)
		return;
	a = &o->act[o->nact++];
	a->at = at;
	a->party = party;
	a->type = gen_pick(r, gen_type_w[party], AT_COUNT);
	a->subject = gen_subject(r, party, a->type);
	a->contact = (o->contact_base +
		      37 * (int)gen_below(r, (uint32_t)o->contacts)) % 1600;
}

static void gen_activities(struct gen_rng *r, const struct gen_ctx *c,
			   struct gen_opp *o, int64_t end)
{
	static const uint32_t party_w[3] = { 20, 62, 18 };
	int j, k, extra, party;
	int64_t t;
	struct gen_act tmp;

	o->nact = 0;
	o->contact_base = (int)gen_below(r, 1600);
	o->contacts = 1 + (int)gen_below(r, 4);
	for (j = 0; j < o->nev; j++) {
		o->anchor[j] = 0;
		if (j == 0 || !gen_is_advance(o, j))
			continue;
		if (o->seller_driven[j]) {
			/* the seller chases; the buyer does not answer */
			for (k = (int)gen_below(r, 4); k > 0; k--)
				gen_add_act(r, o, gen_when(r, o->stint[j],
							   o->ev[j].at),
					    PA_SELLER);
			continue;
		}
		o->anchor[j] = gen_when(r, o->ev[j - 1].at, o->ev[j].at);
		gen_add_act(r, o, o->anchor[j], PA_BUYER);
	}
	extra = 3 + (int)gen_below(r, 15) - o->nact;
	if (extra < 1)
		extra = 1;
	for (k = 0; k < extra; k++) {
		t = gen_when(r, o->created, end);
		party = gen_pick(r, party_w, 3);
		if (party == PA_BUYER && gen_in_seller_stint(o, t))
			party = PA_SELLER;
		gen_add_act(r, o, t, party);
	}
	if (o->open && gen_chance(r, 60))   /* a task scheduled ahead */
		gen_add_act(r, o, c->as_of + gen_range(r, GEN_HOUR,
						       7 * GEN_DAY),
			    PA_SELLER);
	/* in time order (insertion sort: a few dozen at most) */
	for (j = 1; j < o->nact; j++) {
		tmp = o->act[j];
		for (k = j; k > 0 && o->act[k - 1].at > tmp.at; k--)
			o->act[k] = o->act[k - 1];
		o->act[k] = tmp;
	}
}

static void gen_add_evid(struct gen_rng *r, struct gen_opp *o, int crit,
			 int party, int64_t at, int placeholder)
{
	struct gen_evid *e;

	if (o->nevid >= GEN_MAX_EVID)
		return;
	e = &o->evid[o->nevid++];
	e->crit = crit;
	e->party = party;
	e->at = at;
	if (placeholder)
		e->value = gen_placeholder_values[gen_below(r, 6)];
	else
		e->value = gen_evidence_value[crit][gen_below(r, 4)];
	e->ref = -1;
}

/*
 * Evidence for the exit criteria each advance needs: most criteria get a
 * record inside the stint before the move, from the buyer; some are late,
 * from the seller, or a placeholder; some are never there.
 */
static void gen_evidence(struct gen_rng *r, const struct gen_ctx *c,
			 struct gen_opp *o)
{
	static const uint32_t party_w[3] = { 90, 7, 3 };
	static const int party_of[3] = { PA_BUYER, PA_SELLER, PA_UNKNOWN };
	int have[CR_COUNT] = { 0 };
	int j, s, k, crit, party, ph, late, lo_stage, to;
	uint32_t p;
	int64_t at, lo;

	o->nevid = 0;
	for (j = 0; j < o->nev; j++) {
		if (!gen_is_advance(o, j))
			continue;
		to = o->ev[j].stage;
		lo_stage = j == 0 ? ST_DISC : o->ev[j - 1].stage;
		for (s = lo_stage; s < to && s < ST_WON; s++) {
			for (k = 0; k < 3 && gen_exit[s][k] >= 0; k++) {
				crit = gen_exit[s][k];
				if (have[crit])
					continue;
				p = j == 0 ? 300 : o->seller_driven[j] ? 400 :
				    850;
				if (!gen_chance(r, p))
					continue;
				if (o->seller_driven[j])
					party = gen_chance(r, 800) ?
						PA_SELLER : PA_UNKNOWN;
				else
					party = party_of[gen_pick(r, party_w,
								  3)];
				ph = gen_chance(r, 40);
				late = gen_chance(r, 50);
				lo = j == 0 ? o->created - 20 * GEN_DAY :
				     o->stint[j];
				if (late)
					at = o->ev[j].at + gen_range(r,
						GEN_HOUR, 5 * GEN_DAY);
				else if (party == PA_BUYER && o->anchor[j] &&
					 gen_chance(r, 600))
					at = o->anchor[j]; /* said then */
				else
					at = gen_when(r, lo, o->ev[j].at);
				if (at > c->as_of)
					at = c->as_of - gen_range(r, 0,
								  GEN_HOUR);
				gen_add_evid(r, o, crit, party, at, ph);
				if (!ph && !late &&
				    (party == PA_BUYER ||
				     !gen_crit_buyer_only[crit]))
					have[crit] = 1;
			}
		}
	}
	/* work in progress on the current stage's exit criteria */
	s = o->ev[o->nev - 1].stage;
	if (o->open && s < ST_WON) {
		for (k = 0; k < 3 && gen_exit[s][k] >= 0; k++) {
			/* one draw per statement: argument order is
			 * unspecified, and the output must not depend on
			 * the compiler */
			if (!gen_chance(r, 300))
				continue;
			at = gen_when(r, o->ev[o->nev - 1].at, c->as_of - 1);
			ph = gen_chance(r, 50);
			gen_add_evid(r, o, gen_exit[s][k], PA_BUYER, at, ph);
		}
	}
	if (gen_chance(r, 100)) {
		/* a reconfirmation of something already known */
		crit = (int)gen_below(r, 3);
		gen_add_evid(r, o, crit, PA_BUYER,
			     gen_when(r, o->created, o->ev[o->nev - 1].at),
			     0);
	}
	/* cite the activity the evidence came from, when there is one */
	for (j = 0; j < o->nevid; j++) {
		for (k = 0; k < o->nact; k++) {
			if (o->act[k].at == o->evid[j].at &&
			    o->act[k].party == o->evid[j].party) {
				o->evid[j].ref = k;
				break;
			}
		}
	}
}

static void gen_add_change(struct gen_opp *o, int64_t at, int field,
			   int64_t old_v, int64_t new_v)
{
	struct gen_change *ch;

	if (o->nchg >= GEN_MAX_CHANGES)
		return;
	ch = &o->chg[o->nchg++];
	ch->at = at;
	ch->field = field;
	ch->old_v = old_v;
	ch->new_v = new_v;
}

/*
 * Field history consistent with the current values; with zero_at, the
 * amount is set to zero then (a lost deal, as some teams record it).
 */
static void gen_changes(struct gen_rng *r, struct gen_opp *o, int64_t end,
			int64_t zero_at)
{
	int64_t amount_end = zero_at ? zero_at - 1 : end;
	int64_t times[3], t, newv;
	int n, k, j, prev;
	struct gen_change tmp;

	o->nchg = 0;
	if (end <= o->created + GEN_DAY)
		end = o->created + GEN_DAY + 1;
	if (o->close_day != INT64_MIN && gen_chance(r, 350)) {
		n = 1 + (int)gen_below(r, 3);
		if (end - o->created < 4 * GEN_DAY)
			n = 1;
		for (k = 0; k < n; k++)
			times[k] = gen_when(r, o->created + GEN_DAY, end);
		/* oldest first; each push moves the date later */
		for (k = 1; k < n; k++) {
			for (j = k; j > 0 && times[j - 1] > times[j]; j--) {
				t = times[j];
				times[j] = times[j - 1];
				times[j - 1] = t;
			}
		}
		for (k = 1; k < n; k++) {
			if (times[k] <= times[k - 1])
				times[k] = times[k - 1] +
					   gen_range(r, 60, 600);
		}
		newv = o->close_day;
		for (k = n - 1; k >= 0; k--) {
			int64_t oldv = newv - gen_range(r, 7, 45);

			gen_add_change(o, times[k], FLD_CLOSE, oldv, newv);
			newv = oldv;
		}
	}
	if (o->amount > 0 && gen_chance(r, 220) &&
	    amount_end > o->created + GEN_HOUR) {
		int64_t oldv = o->amount * gen_range(r, 70, 130) / 100;

		gen_add_change(o, gen_when(r, o->created + GEN_HOUR,
					   amount_end),
			       FLD_AMOUNT, oldv, o->amount);
	}
	if (zero_at && o->amount > 0) {
		gen_add_change(o, zero_at, FLD_AMOUNT, o->amount, 0);
		o->amount = 0;
	}
	if (o->next_step >= 0 && gen_chance(r, 300)) {
		n = 1 + (int)gen_below(r, 2);
		prev = (int)gen_below(r, GEN_NEXT_STEPS);
		t = o->created + GEN_HOUR;
		for (k = 0; k < n; k++) {
			int nv = k == n - 1 ? o->next_step :
				 (int)gen_below(r, GEN_NEXT_STEPS);

			t = k == 0 ? gen_when(r, t, end) :
			    gen_when(r, t + 60, end > t + 60 ? end : t + 60);
			gen_add_change(o, t, FLD_NEXT, prev, nv);
			prev = nv;
		}
	}
	for (j = 1; j < o->nchg; j++) {
		tmp = o->chg[j];
		for (k = j; k > 0 && o->chg[k - 1].at > tmp.at; k--)
			o->chg[k] = o->chg[k - 1];
		o->chg[k] = tmp;
	}
}

/* The problem this opportunity carries, planted or random. */
static int gen_dq_for(struct gen_rng *r, const struct gen_ctx *c,
		      uint64_t idx)
{
	int k;

	for (k = 1; k < DQ_COUNT; k++) {
		if (c->planted[k] >= 0 && (uint64_t)c->planted[k] == idx)
			return k;
	}
	if (gen_chance(r, 12))
		return 1 + (int)gen_below(r, DQ_COUNT - 1);
	return DQ_NONE;
}

static void gen_apply_dq(struct gen_rng *r, const struct gen_ctx *c,
			 struct gen_opp *o)
{
	struct gen_event *last;
	int j, s;

	switch (o->dq) {
	case DQ_UNKNOWN_STAGE:
		/* an event into a stage of an old pipeline */
		j = (int)gen_below(r, (uint32_t)o->nev);
		o->ev[j].to = ST_UNK0 + (int)gen_below(r, 3);
		if (j + 1 < o->nev && o->ev[j + 1].from >= 0)
			o->ev[j + 1].from = o->ev[j].to;
		if (j == o->nev - 1)
			o->stage = o->ev[j].to;
		break;
	case DQ_NO_HISTORY:
		o->nev = 0;
		break;
	case DQ_STAGE_MISMATCH:
		s = o->stage;
		o->stage = s < ST_NEG ? s + 1 : ST_DISC;
		break;
	case DQ_FUTURE_EVENT:
		/* a same-stage save stamped by a clock that runs ahead */
		last = &o->ev[o->nev];
		*last = o->ev[o->nev - 1];
		last->at = c->as_of + gen_range(r, GEN_HOUR, 5 * GEN_DAY);
		last->from = last->to;
		last->dup = 0;
		o->nev++;
		break;
	case DQ_BEFORE_CREATED:
		o->created_written = o->ev[0].at +
				     gen_range(r, 2 * GEN_HOUR, 20 * GEN_DAY);
		break;
	case DQ_CONTRADICTORY:
		if (o->nev < 2) {
			/* add a later save to carry the wrong from-stage */
			o->ev[1] = o->ev[0];
			o->ev[1].at = o->ev[0].at + gen_range(r, GEN_HOUR,
							      GEN_DAY);
			if (o->ev[1].at >= c->as_of)
				o->ev[1].at = c->as_of - 60;
			o->ev[1].dup = 0;
			o->nev = 2;
		}
		j = 1 + (int)gen_below(r, (uint32_t)(o->nev - 1));
		s = o->ev[j - 1].to;
		o->ev[j].from = (s >= 0 && s < ST_WON && s != ST_DISC) ?
				s - 1 : ST_QUAL;
		if (o->ev[j].from == s)
			o->ev[j].from = ST_PROP;
		break;
	case DQ_MISSING_OWNER:
		o->owner = -1;
		break;
	case DQ_DUPLICATE:
		o->dup = 2;
		break;
	default:
		break;
	}
}

static void gen_opportunity(struct gen_ctx *c, uint64_t idx, int deleted)
{
	static const uint32_t outcome_w[3] = { 482, 281, 237 };
	static const uint32_t seg_w[3] = { 50, 35, 15 };
	struct gen_opp *o = &c->opp;
	struct gen_rng rng, *r = &rng;
	int64_t qty, end, unit;
	int last;

	gen_rng_seed(r, c->seed, idx + 1);
	o->num = idx + 1;
	o->deleted = deleted;
	o->dq = deleted ? DQ_NONE : gen_dq_for(r, c, idx);
	o->renewal = !deleted && o->dq == DQ_NONE && gen_chance(r, 5);
	o->outcome = gen_pick(r, outcome_w, 3);
	if (o->dq != DQ_NONE && c->planted[o->dq] == (int64_t)idx)
		o->outcome = OUT_OPEN;
	o->segment = gen_pick(r, seg_w, 3);
	o->product = gen_pick(r, gen_product_w, 7);
	o->account = (int)gen_below(r, GEN_ACCOUNTS);
	o->currency = gen_chance(r, 120);
	o->expansion = gen_chance(r, 200);
	/* skewed load: some agents carry twice the average */
	o->owner = (long)gen_below(r, (uint32_t)c->owners);
	if (gen_chance(r, 500))
		o->owner = (long)gen_below(r, (uint32_t)(o->owner + 1));

	qty = o->segment == SEG_SMB ? 1 : o->segment == SEG_MID ?
	      gen_range(r, 1, 4) : gen_range(r, 2, 12);
	unit = gen_price[o->product] * gen_range(r, 85, 115);
	o->amount = unit * qty + gen_range(r, 0, 99);

	gen_path(r, o);
	gen_times(r, c, o);
	last = o->ev[o->nev - 1].stage;
	o->open = last != ST_WON && last != ST_LOST;
	o->outcome = o->open ? OUT_OPEN : last == ST_WON ? OUT_WON : OUT_LOST;
	o->stage = last;
	o->created_written = o->created;
	gen_event_meta(r, o);
	gen_stints(r, o);

	/* close date, next step and the forecast override */
	if (o->open) {
		if (gen_chance(r, 40))
			o->close_day = INT64_MIN;
		else if (gen_chance(r, 210))
			o->close_day = c->as_of / GEN_DAY -
				       gen_range(r, 1, 60);
		else
			o->close_day = c->as_of / GEN_DAY +
				       gen_range(r, 5, 120);
		if (o->stage == ST_DISC && gen_chance(r, 60))
			o->amount = -1;        /* not sized yet */
	} else {
		o->close_day = o->ev[o->nev - 1].at / GEN_DAY;
	}
	o->next_step = (int)gen_below(r, GEN_NEXT_STEPS);
	o->next_step_day = INT64_MIN;
	if (gen_chance(r, o->open ? 60 : 40))
		o->next_step = -1;
	else if (gen_chance(r, 30))
		o->next_step = -2 - (int)gen_below(r, 3);
	if (o->next_step >= 0) {
		if (!o->open)
			o->next_step_day = o->ev[o->nev - 1].at / GEN_DAY -
					   gen_range(r, 0, 10);
		else if (gen_chance(r, 250))
			o->next_step_day = c->as_of / GEN_DAY -
					   gen_range(r, 1, 40);
		else if (gen_chance(r, 960))
			o->next_step_day = c->as_of / GEN_DAY +
					   gen_range(r, 0, 30);
	}
	o->forecast = gen_stage_fc[o->stage];
	if (o->stage == ST_PROP && gen_chance(r, 150))
		o->forecast = "commit";
	o->dup = gen_chance(r, 2) ? 1 : 0;

	end = o->open ? c->as_of - 60 : o->ev[o->nev - 1].at +
	      gen_range(r, 0, 3 * GEN_DAY);
	if (end > c->as_of - 60)
		end = c->as_of - 60;
	gen_activities(r, c, o, end);
	gen_evidence(r, c, o);
	gen_changes(r, o, end, o->outcome == OUT_LOST && o->amount > 0 &&
		    gen_chance(r, 150) ? o->ev[o->nev - 1].at : 0);
	gen_apply_dq(r, c, o);
}

/* ---- writing one opportunity ---- */

static char *w_next_step(char *p, int ns)
{
	if (ns >= 0)
		return w_field(p, gen_next_steps[ns]);
	if (ns <= -2)
		return w_str(p, gen_placeholder_values[-2 - ns]);
	return p;
}

static char *w_opp_row(char *p, const struct gen_ctx *c,
		       const struct gen_opp *o, int variant)
{
	char name[160];
	int64_t amount = o->amount;

	p = w_opp_id(p, c, o->num);
	*p++ = ',';
	gen_account_name(name, sizeof(name) - 60, o->account);
	strcat(name, " - ");
	strcat(name, gen_product[o->product]);
	if (o->expansion)
		strcat(name, " expansion");
	p = w_field(p, name);
	*p++ = ',';
	p = w_str(p, o->renewal ? "renewals" : "new_business");
	*p++ = ',';
	p = w_field(p, gen_stage_id[o->stage]);
	*p++ = ',';
	if (o->owner >= 0)
		p = w_owner_id(p, o->owner);
	*p++ = ',';
	if (variant)    /* an edit the export kept */
		amount = amount > 0 ? amount * 11 / 10 : 100000;
	if (amount >= 0)
		p = w_money(p, amount);
	*p++ = ',';
	p = w_str(p, o->currency ? "EUR" : "USD");
	*p++ = ',';
	if (o->close_day != INT64_MIN)
		p = w_date(p, o->close_day);
	*p++ = ',';
	p = w_str(p, o->forecast);
	*p++ = ',';
	p = w_time(p, o->created_written);
	*p++ = ',';
	p = w_next_step(p, o->next_step);
	*p++ = ',';
	if (o->next_step_day != INT64_MIN)
		p = w_date(p, o->next_step_day);
	*p++ = ',';
	p = w_str(p, gen_segment[o->segment]);
	*p++ = ',';
	p = w_str(p, gen_product[o->product]);
	*p++ = '\n';
	return p;
}

static char *w_actor(char *p, const struct gen_ctx *c,
		     const struct gen_opp *o, int by)
{
	if (by == BY_INTEGRATION || o->owner < 0)
		return w_str(p, "integration");
	if (by == BY_MANAGER)
		return w_manager_id(p, gen_manager_of(c, o->owner));
	return w_owner_id(p, o->owner);
}

static void gen_write(struct gen_ctx *c)
{
	const struct gen_opp *o = &c->opp;
	struct gen_file *f;
	char *p, *row, next[GEN_ROW_MAX];
	size_t len;
	uint64_t act_first;
	int j;

	if (!o->deleted) {
		f = &c->f[F_OPPS];
		row = gen_room(f, &c->failed);
		p = w_opp_row(row, c, o, 0);
		len = (size_t)(p - row);
		gen_done(f, p);
		if (o->dup == 1)
			memcpy(next, row, len);
		else if (o->dup == 2)
			len = (size_t)(w_opp_row(next, c, o, 1) - next);
		if (c->pending_len > 0) {
			/* the previous opportunity's duplicate, a row late */
			p = gen_room(f, &c->failed);
			memcpy(p, c->pending, c->pending_len);
			gen_done(f, p + c->pending_len);
			c->pending_len = 0;
		}
		if (o->dup != 0) {
			memcpy(c->pending, next, len);
			c->pending_len = len;
		}
	}

	f = &c->f[F_STAGES];
	for (j = 0; j < o->nev; j++) {
		const struct gen_event *e = &o->ev[j];

		row = gen_room(f, &c->failed);
		p = w_opp_id(row, c, o->num);
		*p++ = ',';
		if (e->from >= 0)
			p = w_field(p, gen_stage_id[e->from]);
		*p++ = ',';
		p = w_field(p, gen_stage_id[e->to]);
		*p++ = ',';
		p = w_time(p, e->at);
		*p++ = ',';
		p = w_actor(p, c, o, e->by);
		*p++ = ',';
		p = w_str(p, gen_source[j == 0 && e->src == 2 ? 0 : e->src]);
		*p++ = '\n';
		gen_done(f, p);
		if (e->dup) {
			/* the export repeats the row: counted once */
			memmove(p, row, (size_t)(p - row));
			gen_done(f, p + (p - row));
		}
	}

	f = &c->f[F_FIELDS];
	for (j = 0; j < o->nchg; j++) {
		const struct gen_change *ch = &o->chg[j];

		p = gen_room(f, &c->failed);
		p = w_opp_id(p, c, o->num);
		*p++ = ',';
		p = w_str(p, gen_field_name[ch->field]);
		*p++ = ',';
		if (ch->field == FLD_AMOUNT) {
			p = w_money(p, ch->old_v);
			*p++ = ',';
			p = w_money(p, ch->new_v);
		} else if (ch->field == FLD_CLOSE) {
			p = w_date(p, ch->old_v);
			*p++ = ',';
			p = w_date(p, ch->new_v);
		} else {
			p = w_next_step(p, (int)ch->old_v);
			*p++ = ',';
			p = w_next_step(p, (int)ch->new_v);
		}
		*p++ = ',';
		p = w_time(p, ch->at);
		*p++ = '\n';
		gen_done(f, p);
	}

	f = &c->f[F_ACTS];
	act_first = c->act_seq + 1;
	for (j = 0; j < o->nact; j++) {
		const struct gen_act *a = &o->act[j];

		p = gen_room(f, &c->failed);
		p = w_str(p, "act-");
		p = w_pad(p, ++c->act_seq, 10);
		*p++ = ',';
		p = w_opp_id(p, c, o->num);
		*p++ = ',';
		p = w_str(p, gen_act_type[a->type]);
		*p++ = ',';
		p = w_str(p, gen_party[a->party]);
		*p++ = ',';
		p = w_time(p, a->at);
		*p++ = ',';
		if (a->party == PA_BUYER) {
			p = w_person(p, a->contact, 1);
			*p++ = '@';
			p = w_domain(p, o->account);
		} else if (a->party == PA_SELLER) {
			p = w_actor(p, c, o, BY_OWNER);
		} else {
			p = w_str(p, "system");
		}
		*p++ = ',';
		p = w_field(p, a->subject);
		*p++ = '\n';
		gen_done(f, p);
	}

	f = &c->f[F_EVID];
	for (j = 0; j < o->nevid; j++) {
		const struct gen_evid *e = &o->evid[j];

		p = gen_room(f, &c->failed);
		p = w_opp_id(p, c, o->num);
		*p++ = ',';
		p = w_str(p, gen_crit_id[e->crit]);
		*p++ = ',';
		p = w_field(p, e->value);
		*p++ = ',';
		p = w_str(p, gen_party[e->party]);
		*p++ = ',';
		p = w_time(p, e->at);
		*p++ = ',';
		if (e->ref >= 0) {
			p = w_str(p, "act-");
			p = w_pad(p, act_first + (uint64_t)e->ref, 10);
		}
		*p++ = '\n';
		gen_done(f, p);
	}
}

static void gen_write_owners(struct gen_ctx *c)
{
	struct gen_file *f = &c->f[F_OWNERS];
	char *p;
	long k, m;

	for (m = 0; m < c->managers; m++) {
		long n = 1599 - m % 1600;

		p = gen_room(f, &c->failed);
		p = w_manager_id(p, m);
		*p++ = ',';
		p = w_person(p, n, 0);
		*p++ = ',';
		p = w_person(p, n, 1);
		if (m >= 1600) {
			*p++ = '.';
			p = w_u64(p, (uint64_t)m);
		}
		p = w_str(p, "@seller.example,,");
		p = w_str(p, gen_offices[m % 3]);
		*p++ = '\n';
		gen_done(f, p);
	}
	for (k = 0; k < c->owners; k++) {
		m = gen_manager_of(c, k);
		p = gen_room(f, &c->failed);
		p = w_owner_id(p, k);
		*p++ = ',';
		p = w_person(p, k % 1600, 0);
		*p++ = ',';
		p = w_person(p, k % 1600, 1);
		if (k >= 1600) {
			*p++ = '.';
			p = w_u64(p, (uint64_t)k);
		}
		p = w_str(p, "@seller.example,");
		p = w_manager_id(p, m);
		*p++ = ',';
		p = w_str(p, gen_offices[m % 3]);
		*p++ = '\n';
		gen_done(f, p);
	}
}

/* ---- the rules config ---- */

static void gen_write_days(FILE *fp, const char *key, int days, int *first)
{
	if (days <= 0)
		return;
	fprintf(fp, "%s\"%s\": %d", *first ? "" : ", ", key, days);
	*first = 0;
}

static int gen_write_config(const struct gen_ctx *c, const char *path,
			    const char *dir)
{
	FILE *fp = fopen(path, "w");
	char date[16], *p;
	const char *q;
	int64_t y;
	int s, k, m, d, first, seg;

	if (fp == NULL) {
		fprintf(stderr, "sg-gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(fp, "{\n  \"pipeline\": {\"id\": \"new_business\", "
		"\"label\": \"New business\"},\n  \"stages\": [\n");
	for (s = 0; s < ST_COUNT; s++) {
		fprintf(fp, "    {\"id\": \"%s\", \"label\": \"%s\"",
			gen_stage_id[s], gen_stage_label[s]);
		if (gen_stage_max_age[s] > 0)
			fprintf(fp, ", \"max_age_days\": %d",
				gen_stage_max_age[s]);
		fprintf(fp, ", \"forecast_category\": \"%s\"",
			gen_stage_fc[s]);
		if (s < ST_WON) {
			fprintf(fp, ",\n     \"exit_criteria\": [");
			for (k = 0; k < 3 && gen_exit[s][k] >= 0; k++)
				fprintf(fp, "%s\"%s\"", k ? ", " : "",
					gen_crit_id[gen_exit[s][k]]);
			fprintf(fp, "]");
		}
		if (gen_required[s] != 0) {
			first = 1;
			fprintf(fp, ",\n     \"required_fields\": [");
			for (k = 0; k < 3; k++) {
				if (!(gen_required[s] & (1 << k)))
					continue;
				fprintf(fp, "%s\"%s\"", first ? "" : ", ",
					gen_field_name[k]);
				first = 0;
			}
			fprintf(fp, "]");
		}
		if (s == ST_WON)
			fprintf(fp, ", \"closed\": true, \"won\": true");
		if (s == ST_LOST)
			fprintf(fp, ", \"closed\": true, "
				"\"enter_from_any\": true");
		fprintf(fp, "}%s\n", s + 1 < ST_COUNT ? "," : "");
	}
	fprintf(fp, "  ],\n  \"criteria\": {\n");
	for (k = 0; k < CR_COUNT; k++) {
		fprintf(fp, "    \"%s\": {\"label\": \"%s\", "
			"\"buyer_only\": %s", gen_crit_id[k],
			gen_crit_label[k],
			gen_crit_buyer_only[k] ? "true" : "false");
		if (gen_crit_max_age[k] > 0)
			fprintf(fp, ", \"max_age_days\": %d",
				gen_crit_max_age[k]);
		fprintf(fp, "}%s\n", k + 1 < CR_COUNT ? "," : "");
	}
	fprintf(fp, "  },\n  \"segments\": {\n    \"field\": \"segment\",\n"
		"    \"max_age_days\": {\n");
	for (seg = SEG_SMB, k = 0; seg <= SEG_ENT; seg++) {
		if (seg == SEG_MID)
			continue;
		fprintf(fp, "%s      \"%s\": {", k++ ? ",\n" : "",
			gen_segment[seg]);
		first = 1;
		for (s = 0; s < 5; s++)
			gen_write_days(fp, gen_stage_id[s],
				       gen_seg_max_age[seg][s], &first);
		fprintf(fp, "}");
	}
	fprintf(fp, "\n    }\n  },\n  \"placeholders\": [");
	for (k = 0; k < 10; k++)
		fprintf(fp, "%s\"%s\"", k ? ", " : "", gen_placeholders[k]);
	/* the pilot starts on the first day of the as-of month */
	gen_civil(c->as_of / GEN_DAY, &y, &m, &d);
	p = w_date(date, gen_days_from_civil(y, m, 1));
	*p = '\0';
	fprintf(fp, "],\n  \"forecast\": {\"review_categories\": "
		"[\"best_case\", \"commit\", \"closed\"]},\n"
		"  \"review\": {\"sla_hours\": 48, "
		"\"default_assignee\": \"revops\"},\n"
		"  \"data\": {\"stale_after_hours\": 36},\n"
		"  \"pilot\": {\"start\": \"%s\", \"days\": 30, "
		"\"baseline_days\": 90},\n"
		"  \"ledger\": \"stageguard.db\",\n"
		"  \"sources\": {\"csv\": {\"dir\": \"", date);
	/* a JSON string: the folder as given, escaped */
	for (q = dir; *q != '\0'; q++) {
		if (*q == '"' || *q == '\\')
			fputc('\\', fp);
		if ((unsigned char)*q >= 0x20)
			fputc(*q, fp);
	}
	fprintf(fp, "\"}}\n}\n");
	if (fclose(fp) != 0) {
		fprintf(stderr, "sg-gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int gen_write_snapshot(const struct gen_ctx *c, const char *dir)
{
	char path[PATH_MAX], t[32], *p;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/snapshot.json", dir);
	fp = fopen(path, "w");
	if (fp == NULL) {
		fprintf(stderr, "sg-gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* extracted at as-of: a check judged then is not stale */
	p = w_time(t, c->as_of);
	*p = '\0';
	fprintf(fp, "{\"extracted_at\": \"%s\", \"source\": \"sg-gen "
		GEN_VERSION " --opps %" PRIu64 " --seed %" PRIu64 "\"}\n", t,
		c->opps, c->seed);
	if (fclose(fp) != 0) {
		fprintf(stderr, "sg-gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- main ---- */

static void gen_usage(FILE *fp)
{
	fprintf(fp,
		"usage: sg-gen --opps N --out DIR [--seed S] [--as-of ISO]\n"
		"              [--span-days D] [--config-out FILE] [--quiet]"
		"\n\n"
		"Writes a realistic sample pipeline in the canonical CSV "
		"layout\n(docs/design.md section 3) into DIR, and with "
		"--config-out a\nmatching rules config.  Same arguments, "
		"same bytes.\n\n"
		"  --opps N         opportunities (1..%llu)\n"
		"  --seed S         random seed (default 1)\n"
		"  --as-of ISO      extraction time (default %s)\n"
		"  --span-days D    days of history before as-of "
		"(default 365)\n"
		"  --config-out F   also write a matching rules config to F;\n"
		"                   its sources.csv.dir is DIR as given\n"
		"  --quiet          no summary on standard error\n"
		"  --version        print the output version and exit\n",
		GEN_MAX_OPPS, GEN_DEFAULT_AS_OF);
}

static int gen_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int gen_mkdir(const char *dir)
{
	char tmp[PATH_MAX];
	size_t i, len = strlen(dir);

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
			return -1;
		tmp[i] = i == len ? '\0' : '/';
	}
	return 0;
}

static int gen_open_files(struct gen_ctx *c, const char *dir)
{
	int i;

	for (i = 0; i < F_COUNT; i++) {
		struct gen_file *f = &c->f[i];

		if ((size_t)snprintf(f->path, sizeof(f->path), "%s/%s", dir,
				     gen_file_name[i]) >= sizeof(f->path)) {
			fprintf(stderr, "sg-gen: %s: path too long\n", dir);
			return -1;
		}
		f->fp = fopen(f->path, "w");
		if (f->fp == NULL) {
			fprintf(stderr, "sg-gen: %s: %s\n", f->path,
				strerror(errno));
			return -1;
		}
		f->buf = malloc(GEN_BUF_SIZE);
		if (f->buf == NULL) {
			fprintf(stderr, "sg-gen: out of memory\n");
			return -1;
		}
		f->len = strlen(gen_file_header[i]);
		memcpy(f->buf, gen_file_header[i], f->len);
	}
	return 0;
}

static int gen_close_files(struct gen_ctx *c)
{
	int i, rc = 0;

	for (i = 0; i < F_COUNT; i++) {
		struct gen_file *f = &c->f[i];

		if (f->fp == NULL)
			continue;
		if (!c->failed && gen_flush(f) != 0)
			rc = -1;
		if (fclose(f->fp) != 0 && rc == 0) {
			fprintf(stderr, "sg-gen: %s: %s\n", f->path,
				strerror(errno));
			rc = -1;
		}
		f->fp = NULL;
		free(f->buf);
		f->buf = NULL;
	}
	return rc;
}

static double gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "opps", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "span-days", required_argument, NULL, 'd' },
		{ "config-out", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct gen_ctx *c;
	const char *out = NULL, *config_out = NULL;
	const char *as_of = GEN_DEFAULT_AS_OF;
	uint64_t span_days = 365, orphans, i, total_bytes = 0;
	int opt, quiet = 0, rc = 1, k, have_opps = 0;
	double t0 = gen_now();

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		fprintf(stderr, "sg-gen: out of memory\n");
		return 1;
	}
	c->seed = 1;
	for (;;) {
		opt = getopt_long(argc, argv, "", longopts, NULL);
		if (opt == -1)
			break;
		switch (opt) {
		case 'n':
			if (gen_parse_u64(optarg, &c->opps) != 0 ||
			    c->opps < 1 || c->opps > GEN_MAX_OPPS) {
				fprintf(stderr, "sg-gen: --opps: expected a "
					"count from 1 to %llu, got '%s'\n",
					GEN_MAX_OPPS, optarg);
				goto usage;
			}
			have_opps = 1;
			break;
		case 's':
			if (gen_parse_u64(optarg, &c->seed) != 0) {
				fprintf(stderr, "sg-gen: --seed: expected a "
					"non-negative integer, got '%s'\n",
					optarg);
				goto usage;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'a':
			as_of = optarg;
			break;
		case 'd':
			if (gen_parse_u64(optarg, &span_days) != 0 ||
			    span_days < 30 || span_days > 3650) {
				fprintf(stderr, "sg-gen: --span-days: "
					"expected 30 to 3650, got '%s'\n",
					optarg);
				goto usage;
			}
			break;
		case 'c':
			config_out = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			gen_usage(stdout);
			rc = 0;
			goto out;
		case 'V':
			printf("sg-gen " GEN_VERSION "\n");
			rc = 0;
			goto out;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sg-gen: unexpected argument '%s'\n",
			argv[optind]);
		goto usage;
	}
	if (!have_opps || out == NULL) {
		fprintf(stderr, "sg-gen: --opps and --out are required\n");
		goto usage;
	}
	if (gen_parse_time(as_of, &c->as_of) != 0) {
		fprintf(stderr, "sg-gen: --as-of: expected YYYY-MM-DD or "
			"YYYY-MM-DDTHH:MM:SSZ, got '%s'\n", as_of);
		goto usage;
	}
	c->span = (int64_t)span_days * GEN_DAY;
	c->owners = (long)((c->opps + 249) / 250);
	if (c->owners < 35)
		c->owners = 35;
	c->managers = (c->owners + 5) / 6;
	c->id_width = c->opps >= 10000000 ? 9 : 8;
	for (k = 0; k < DQ_COUNT; k++)
		c->planted[k] = -1;
	if (c->opps >= 16) {
		for (k = 1; k < DQ_COUNT; k++)
			c->planted[k] = (int64_t)((uint64_t)(2 * k - 1) *
						  c->opps / 16);
	}

	if (gen_mkdir(out) != 0) {
		fprintf(stderr, "sg-gen: %s: cannot create: %s\n", out,
			strerror(errno));
		goto out;
	}
	if (gen_open_files(c, out) != 0)
		goto out;
	gen_write_owners(c);
	/* deleted opportunities: history rows whose record is gone */
	orphans = c->opps >= 100 && c->opps < 1000 ? 1 : c->opps / 1000;
	for (i = 0; i < c->opps + orphans && !c->failed; i++) {
		int deleted = i >= c->opps;

		gen_opportunity(c, i, deleted);
		gen_write(c);
		if (!deleted) {
			c->dq_count[c->opp.dq]++;
			if (c->opp.open)
				c->opened++;
			else if (c->opp.outcome == OUT_WON)
				c->won++;
			else
				c->lost++;
		}
	}
	if (!c->failed && c->pending_len > 0) {
		char *p = gen_room(&c->f[F_OPPS], &c->failed);

		memcpy(p, c->pending, c->pending_len);
		gen_done(&c->f[F_OPPS], p + c->pending_len);
	}
	if (gen_close_files(c) != 0 || c->failed)
		goto out;
	if (gen_write_snapshot(c, out) != 0)
		goto out;
	if (config_out != NULL && gen_write_config(c, config_out, out) != 0)
		goto out;
	if (!quiet) {
		fprintf(stderr, "sg-gen: %" PRIu64 " opportunities "
			"(%" PRIu64 " open, %" PRIu64 " won, %" PRIu64
			" lost), %ld owners, %ld managers, seed %" PRIu64
			"\n", c->opps, c->opened, c->won, c->lost, c->owners,
			c->managers, c->seed);
		for (k = 0; k < F_COUNT; k++) {
			fprintf(stderr, "  %-18s %12" PRIu64 " rows %14"
				PRIu64 " bytes\n", gen_file_name[k],
				c->f[k].rows, c->f[k].bytes);
			total_bytes += c->f[k].bytes;
		}
		fprintf(stderr, "  %-18s %12s      %14" PRIu64 " bytes\n",
			"total", "", total_bytes);
		fprintf(stderr, "  data-quality:");
		for (k = 1; k < DQ_COUNT; k++)
			fprintf(stderr, " %s=%" PRIu64, gen_dq_name[k],
				c->dq_count[k]);
		fprintf(stderr, "\n  %.2f s\n", gen_now() - t0);
	}
	rc = 0;
	goto out;
usage:
	gen_usage(stderr);
	rc = 2;
out:
	if (rc != 0)
		gen_close_files(c);
	free(c);
	return rc;
}
