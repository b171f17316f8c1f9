#include "ui/dashboard/dashboardpage.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/widgets/messagebanner.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QGridLayout>
#include <QHeaderView>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QStackedBarSeries>
#include <QTableWidget>
#include <QTimeZone>
#include <QValueAxis>

namespace tollgate {

namespace {

QChartView* makeChartView(QWidget* parent, const QString& title)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setAnimationOptions(QChart::NoAnimation);
    auto* view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(220);
    return view;
}

void clear(QChart* chart)
{
    chart->removeAllSeries();
    for (QAbstractAxis* a : chart->axes())
        chart->removeAxis(a), delete a;
}

double dollars(Money m) { return double(m) / double(kNanosPerDollar); }

} // namespace

DashboardPage::DashboardPage(Console& console, QWidget* parent)
    : Page(console, tr("Dashboard"), parent)
{
    auto* top = new QHBoxLayout;
    m_range = new QComboBox(this);
    m_range->setObjectName(QStringLiteral("dashboardRange"));
    m_range->addItem(tr("Last 7 days"), 7);
    m_range->addItem(tr("Last 14 days"), 14);
    m_range->addItem(tr("Last 30 days"), 30);
    m_range->addItem(tr("Last 90 days"), 90);
    m_range->setCurrentIndex(2);
    m_stackBy = new QComboBox(this);
    m_stackBy->setObjectName(QStringLiteral("dashboardStackBy"));
    m_stackBy->addItem(tr("Stack by model"), int(DashboardData::StackBy::Model));
    m_stackBy->addItem(tr("Stack by user"), int(DashboardData::StackBy::User));
    m_stackBy->addItem(tr("Stack by group"), int(DashboardData::StackBy::Group));
    m_summary = new QLabel(this);
    QFont f = m_summary->font();
    f.setPointSizeF(f.pointSizeF() * 1.1);
    m_summary->setFont(f);
    top->addWidget(m_range);
    top->addWidget(m_stackBy);
    top->addSpacing(12);
    top->addWidget(m_summary, 1);
    content()->addLayout(top);

    auto* grid = new QGridLayout;
    m_stacked = makeChartView(this, tr("Spend per day (click a bar for its requests)"));
    m_topUsers = makeChartView(this, tr("Top users by cost"));
    m_activeUsers = makeChartView(this, tr("Daily active users"));
    m_limits = new QTableWidget(0, 4, this);
    m_limits->setHorizontalHeaderLabels({tr("Monthly limit use"), tr("Spend"), tr("Limit"), tr("Used")});
    m_limits->verticalHeader()->hide();
    m_limits->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_limits->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_limits->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int c = 1; c < 4; ++c)
        m_limits->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_limits->setWordWrap(false);
    grid->addWidget(m_stacked, 0, 0, 1, 2);
    grid->addWidget(m_topUsers, 1, 0);
    grid->addWidget(m_activeUsers, 1, 1);
    grid->addWidget(m_limits, 0, 2, 2, 1);
    grid->setColumnStretch(0, 4);
    grid->setColumnStretch(1, 3);
    grid->setColumnStretch(2, 3);
    grid->setRowStretch(0, 3);
    grid->setRowStretch(1, 2);
    content()->addLayout(grid, 1);

    connect(m_range, &QComboBox::currentIndexChanged, this, &DashboardPage::reload);
    connect(m_stackBy, &QComboBox::currentIndexChanged, this, &DashboardPage::reload);
    connect(&console, &Console::usageChanged, this, [this] {
        if (isVisible())
            reload();
    });
}

void DashboardPage::reload()
{
    // The charts, the top users and the limit use are read side by side; each is drawn as soon as it is there. A
    // newer reload (another range, say) does not wait for an older one: what the older one reads is dropped.
    const Service& s = console().service();
    const int days = m_range->currentData().toInt();
    const auto by = DashboardData::StackBy(m_stackBy->currentData().toInt());
    const quint64 generation = ++m_generation;
    m_pending = 3;
    for (const int part : {int(DashboardData::Charts), int(DashboardData::TopUsers), int(DashboardData::Limits)}) {
        console().run<Result<DashboardData>>(
            this, [&s, days, by, part] { return DashboardData::load(s, days, by, part); },
            [this, generation](Result<DashboardData> d) {
                if (generation != m_generation)
                    return;
                if (!d.ok())
                    banner()->showError(tr("The dashboard could not be read: %1").arg(d.error().message));
                else
                    draw(d.value());
                if (--m_pending == 0)
                    emit loaded();
            });
    }
}

void DashboardPage::draw(const DashboardData& d)
{
    if (d.parts & DashboardData::Charts) {
        m_summary->setText(tr("<b>%1</b> spent \u00b7 <b>%2</b> requests \u00b7 <b>%3</b> refused \u00b7 %4 tokens")
                               .arg(format::money(d.total.cost), format::count(d.total.requests),
                                    format::count(d.total.denied),
                                    format::count(d.total.inputTokens + d.total.outputTokens)));
        drawStacked(d);
        drawActiveUsers(d);
        emit chartsDrawn();
    }
    if (d.parts & DashboardData::TopUsers)
        drawTopUsers(d);
    if (d.parts & DashboardData::Limits)
        fillLimits(d);
}

void DashboardPage::drawStacked(const DashboardData& d)
{
    QChart* chart = m_stacked->chart();
    clear(chart);
    auto* series = new QStackedBarSeries;
    const QString zone = console().service().directory().organization().timezone;
    QStringList categories;
    for (const Window& w : d.days)
        categories << QLocale().toString(QDateTime::fromMSecsSinceEpoch(w.start, QTimeZone(zone.toUtf8())),
                                         QStringLiteral("d MMM"));
    const auto by = DashboardData::StackBy(m_stackBy->currentData().toInt());
    for (const DashboardData::Series& s : d.stacked) {
        auto* set = new QBarSet(s.label);
        for (Money m : s.perDay)
            *set << dollars(m);
        series->append(set);
        const QString key = s.key;
        const QString label = s.label;
        connect(set, &QBarSet::clicked, this, [this, d_days = d.days, key, label, by](int index) {
            if (index < 0 || index >= d_days.size())
                return;
            UsageLogFilter f;
            f.from = d_days[index].start;
            f.to = d_days[index].end;
            if (by == DashboardData::StackBy::Model)
                f.model = key;
            else if (by == DashboardData::StackBy::User)
                f.userId = key.toLongLong();
            else
                f.groupId = key.toLongLong();
            const QString day = format::time(f.from, console().service().directory().organization().timezone).left(10);
            // "Other" has no key of its own: the day's requests, and the description says so.
            emit drillDown(f, key.isEmpty() ? tr("every request on %1").arg(day) : tr("%1 on %2").arg(label, day));
        });
    }
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    // Every few days labelled; the others get distinct invisible labels (a category axis merges equal ones).
    const qsizetype step = std::max<qsizetype>(1, (categories.size() + 9) / 10);
    for (qsizetype i = 0; i < categories.size(); ++i)
        if (i % step)
            categories[i] = QString(int(i), QChar(0x200B));
    x->append(categories);
    x->setTruncateLabels(false);
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    double most = 0;
    for (qsizetype i = 0; i < d.days.size(); ++i) {
        double day = 0;
        for (const DashboardData::Series& s : d.stacked)
            day += dollars(s.perDay[i]);
        most = std::max(most, day);
    }
    auto* y = new QValueAxis;
    y->setLabelFormat(QStringLiteral("$%.2f"));
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    y->setRange(0, most > 0 ? most : 1.0);
    y->applyNiceNumbers();
}

void DashboardPage::drawTopUsers(const DashboardData& d)
{
    QChart* chart = m_topUsers->chart();
    clear(chart);
    auto* series = new QHorizontalBarSeries;
    auto* set = new QBarSet(tr("Cost"));
    QStringList names;
    for (qsizetype i = d.topUsers.size() - 1; i >= 0; --i) { // biggest at the top
        *set << dollars(d.topUsers[i].second);
        names << d.topUsers[i].first.section(u'@', 0, 0).left(18);
    }
    series->append(set);
    chart->addSeries(series);
    chart->legend()->hide();
    auto* y = new QBarCategoryAxis;
    y->append(names);
    y->setTruncateLabels(false);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    auto* x = new QValueAxis;
    x->setLabelFormat(QStringLiteral("$%.0f"));
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    x->setRange(0, d.topUsers.isEmpty() || d.topUsers.first().second <= 0 ? 1.0 : dollars(d.topUsers.first().second));
    x->applyNiceNumbers();
    connect(set, &QBarSet::clicked, this, [this, ids = d.topUserIds, names = d.topUsers, days = d.days](int index) {
        const qsizetype i = ids.size() - 1 - index;
        if (i < 0 || i >= ids.size() || days.isEmpty())
            return;
        UsageLogFilter f;
        f.userId = ids[i];
        f.from = days.first().start;
        f.to = days.last().end;
        emit drillDown(f, names[i].first);
    });
}

void DashboardPage::drawActiveUsers(const DashboardData& d)
{
    QChart* chart = m_activeUsers->chart();
    clear(chart);
    auto* series = new QLineSeries;
    qint64 most = 1;
    for (qsizetype i = 0; i < d.activeUsers.size(); ++i) {
        series->append(double(i), double(d.activeUsers[i]));
        most = std::max(most, d.activeUsers[i]);
    }
    chart->addSeries(series);
    chart->legend()->hide();
    auto* x = new QValueAxis;
    x->setRange(0, std::max<qsizetype>(1, d.activeUsers.size() - 1));
    x->setLabelFormat(QStringLiteral("%d"));
    x->setLabelsVisible(false);
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    auto* y = new QValueAxis;
    y->setRange(0, double(most));
    y->setLabelFormat(QStringLiteral("%d"));
    y->applyNiceNumbers();
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
}

void DashboardPage::fillLimits(const DashboardData& d)
{
    m_limits->setRowCount(int(d.limits.size()));
    for (int i = 0; i < d.limits.size(); ++i) {
        const LimitUse& u = d.limits[i];
        const auto cell = [&](int column, const QString& text, Qt::Alignment a = Qt::AlignRight | Qt::AlignVCenter) {
            auto* item = new QTableWidgetItem(text);
            item->setTextAlignment(a);
            if (u.fraction() >= 1.0)
                item->setForeground(QColor(0xa6, 0x1b, 0x1b));
            else if (u.fraction() >= 0.8)
                item->setForeground(QColor(0x8a, 0x5a, 0x00));
            m_limits->setItem(i, column, item);
        };
        cell(0, tr("%1 %2").arg(limitKindLabel(u.kind), u.name), Qt::AlignLeft | Qt::AlignVCenter);
        cell(1, format::money(u.spend));
        cell(2, format::money(u.limit));
        cell(3, QStringLiteral("%1 %").arg(qRound(u.fraction() * 100)));
    }
    m_limits->clearSpans();
    if (d.limits.isEmpty()) {
        m_limits->setRowCount(1);
        m_limits->setItem(0, 0, new QTableWidgetItem(tr("Nobody is above half of a monthly limit.")));
        m_limits->setSpan(0, 0, 1, 4);
    }
}

} // namespace tollgate
