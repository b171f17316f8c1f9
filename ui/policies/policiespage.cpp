#include "ui/policies/policiespage.h"

#include "ui/console.h"
#include "ui/policies/policyform.h"
#include "ui/widgets/dialogs.h"
#include "ui/widgets/messagebanner.h"

#include <QComboBox>
#include <QCompleter>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QStringListModel>

namespace tollgate {

using Level = PolicyEdit::Level;

PoliciesPage::PoliciesPage(Console& console, QWidget* parent)
    : Page(console, tr("Policies"), parent)
{
    auto* top = new QHBoxLayout;
    m_level = new QComboBox(this);
    m_level->setObjectName(QStringLiteral("policyLevel"));
    m_level->addItem(tr("Organisation defaults"), int(Level::Organization));
    m_level->addItem(tr("Group settings"), int(Level::Group));
    m_level->addItem(tr("User override"), int(Level::User));
    m_group = new QComboBox(this);
    m_group->setObjectName(QStringLiteral("policyGroup"));
    m_group->setMinimumWidth(220);
    m_user = new QLineEdit(this);
    m_user->setObjectName(QStringLiteral("policyUser"));
    m_user->setPlaceholderText(tr("Type a user's email and press Enter"));
    m_user->setMinimumWidth(280);
    auto* completer = new QCompleter(new QStringListModel(this), this);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    m_user->setCompleter(completer);
    m_clear = new QPushButton(tr("Remove override"), this);
    top->addWidget(m_level);
    top->addWidget(m_group);
    top->addWidget(m_user);
    top->addWidget(m_clear);
    top->addStretch(1);
    content()->addLayout(top);
    m_subject = new QLabel(this);
    m_subject->setWordWrap(true);
    content()->addWidget(m_subject);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_form = new PolicyForm(scroll);
    scroll->setWidget(m_form);
    content()->addWidget(scroll, 1);

    auto* buttons = new QHBoxLayout;
    m_state = new QLabel(this);
    m_revert = new QPushButton(tr("Revert"), this);
    m_save = new QPushButton(tr("Save"), this);
    m_save->setObjectName(QStringLiteral("savePolicy"));
    m_save->setDefault(true);
    buttons->addWidget(m_state, 1);
    buttons->addWidget(m_revert);
    buttons->addWidget(m_save);
    content()->addLayout(buttons);

    connect(m_level, &QComboBox::currentIndexChanged, this, &PoliciesPage::levelChosen);
    connect(m_group, &QComboBox::activated, this, &PoliciesPage::levelChosen);
    connect(m_user, &QLineEdit::returnPressed, this, &PoliciesPage::levelChosen);
    connect(completer, qOverload<const QString&>(&QCompleter::activated), this, &PoliciesPage::levelChosen);
    connect(m_form, &PolicyForm::edited, this, &PoliciesPage::preview);
    connect(m_save, &QPushButton::clicked, this, &PoliciesPage::save);
    connect(m_revert, &QPushButton::clicked, this, &PoliciesPage::revert);
    connect(m_clear, &QPushButton::clicked, this, [this] {
        if (m_editing != Level::User || !m_id)
            return;
        Service& s = this->console().service();
        if (Status st = s.directory().setUserPolicy(m_id, std::nullopt, Console::actor(), m_loadedVersion); !st.ok())
            return banner()->showError(st.error().message);
        banner()->showInfo(tr("Override removed: the user gets what their groups and the organisation set."));
        load();
    });
}

void PoliciesPage::reload()
{
    const Service& s = console().service();
    const QSignalBlocker blockGroup(m_group);
    const Id selected = m_group->currentData().toLongLong();
    m_group->clear();
    QList<Group> groups = s.directory().groups();
    QHash<Id, QList<Group>> children;
    for (const Group& g : groups)
        children[g.parentId].append(g);
    const std::function<void(Id, int)> add = [&](Id parent, int depth) {
        QList<Group> level = children.value(parent);
        std::sort(level.begin(), level.end(),
                  [](const Group& a, const Group& b) { return a.name.compare(b.name, Qt::CaseInsensitive) < 0; });
        for (const Group& g : level) {
            m_group->addItem(QString(depth * 4, u' ') + g.name, g.id);
            add(g.id, depth + 1);
        }
    };
    add(0, 0);
    m_group->setCurrentIndex(std::max(0, m_group->findData(selected)));
    QStringList emails;
    const QList<User> users = s.directory().users();
    emails.reserve(users.size());
    for (const User& u : users)
        emails << u.email;
    emails.sort(Qt::CaseInsensitive);
    static_cast<QStringListModel*>(m_user->completer()->model())->setStringList(emails);
    m_form->setModels(s.catalog().models());
    // Someone else's change to what is being edited shows up, unless the admin is typing over it.
    if (!m_form->isModified())
        load();
    else
        preview();
}

bool PoliciesPage::mayLeave()
{
    if (!m_form->isModified())
        return true;
    switch (dialogs::askUnsavedChanges(this, tr("The policy has unsaved changes. Save them?"))) {
    case dialogs::Answer::Save: return save();
    case dialogs::Answer::Discard: revert(); return true;
    default: return false;
    }
}

bool PoliciesPage::edit(Level level, Id id)
{
    if (!mayLeave())
        return false;
    const QSignalBlocker a(m_level);
    const QSignalBlocker b(m_group);
    m_level->setCurrentIndex(m_level->findData(int(level)));
    if (level == Level::Group)
        m_group->setCurrentIndex(m_group->findData(id));
    if (level == Level::User)
        m_user->setText(console().service().directory().user(id).value_or(User {}).email);
    m_editing = level;
    m_id = id;
    load();
    return true;
}

void PoliciesPage::levelChosen()
{
    const auto level = Level(m_level->currentData().toInt());
    Id id = 0;
    if (level == Level::Group)
        id = m_group->currentData().toLongLong();
    if (level == Level::User) {
        const auto u = console().service().directory().userByEmail(m_user->text().trimmed());
        id = u ? u->id : 0;
        if (!u && !m_user->text().trimmed().isEmpty())
            banner()->showError(tr("No user has the email %1.").arg(m_user->text().trimmed()));
    }
    if (level == m_editing && id == m_id)
        return load();
    if (!edit(level, id)) {
        // Stayed: show the level being edited again.
        const QSignalBlocker a(m_level);
        m_level->setCurrentIndex(m_level->findData(int(m_editing)));
    }
}

void PoliciesPage::load()
{
    const Service& s = console().service();
    m_group->setVisible(m_editing == Level::Group);
    m_user->setVisible(m_editing == Level::User);
    m_clear->setVisible(m_editing == Level::User);
    m_form->setLevel(m_editing == Level::User        ? PolicyForm::Level::User
                         : m_editing == Level::Group ? PolicyForm::Level::Group
                                                     : PolicyForm::Level::Organization);
    PolicySettings settings;
    bool found = true;
    switch (m_editing) {
    case Level::Organization: {
        const Organization o = s.directory().organization();
        settings = o.defaultPolicy;
        m_loadedVersion = o.updatedAt;
        m_subject->setText(tr("Defaults for everyone in %1. Effective values: for a user in no group without an "
                              "override of their own.")
                               .arg(o.name));
        break;
    }
    case Level::Group: {
        const auto g = s.directory().group(m_id);
        found = g.has_value();
        if (g) {
            settings = g->settings.value_or(PolicySettings {});
            m_loadedVersion = g->updatedAt;
            m_subject->setText(tr("Settings of group %1, for its members and its subgroups' members. Effective "
                                  "values: for a member of just this group without an override.")
                                   .arg(g->name));
        }
        break;
    }
    case Level::User: {
        const auto u = s.directory().user(m_id);
        found = u.has_value();
        if (u) {
            settings = u->policyOverride.value_or(PolicySettings {});
            m_loadedVersion = u->updatedAt;
            m_subject->setText(tr("Override for %1 <%2>. It wins over every group and the organisation; the "
                                  "effective values are what the gateway enforces for this user.")
                                   .arg(u->name, u->email));
        }
        break;
    }
    }
    m_form->setEnabled(found);
    m_save->setEnabled(found);
    m_revert->setEnabled(found);
    if (!found) {
        m_subject->setText(m_editing == Level::Group ? tr("Choose a group.") : tr("Choose a user."));
        m_form->setSettings({});
        m_state->clear();
        return;
    }
    m_form->setSettings(settings);
    preview();
}

void PoliciesPage::preview()
{
    m_state->setText(m_form->isModified() ? tr("Unsaved changes; the effective values show them as if saved.")
                                          : QString());
    auto settings = m_form->settings();
    if (!settings.ok()) {
        m_state->setText(settings.error().message);
        m_state->setStyleSheet(QStringLiteral("color: #a61b1b"));
        return;
    }
    m_state->setStyleSheet(QString());
    m_form->setEffective(console().service().directory().previewPolicy({m_editing, m_id, settings.value()}));
}

bool PoliciesPage::save()
{
    auto settings = m_form->settings();
    if (!settings.ok()) {
        banner()->showError(tr("Not saved: %1").arg(settings.error().message));
        return false;
    }
    Service& s = console().service();
    const PolicySettings& p = settings.value();
    Status result;
    switch (m_editing) {
    case Level::Organization: {
        Organization o = s.directory().organization();
        o.defaultPolicy = p;
        o.updatedAt = m_loadedVersion;
        auto r = s.directory().updateOrganization(o, Console::actor());
        result = r.ok() ? Status() : Status(r.error());
        break;
    }
    case Level::Group: {
        auto g = s.directory().group(m_id);
        if (!g) {
            result = Error::notFound(QStringLiteral("group"), tr("the group no longer exists"));
            break;
        }
        g->settings = p.isEmpty() ? std::nullopt : std::optional(p);
        g->updatedAt = m_loadedVersion;
        auto r = s.directory().updateGroup(*g, Console::actor());
        result = r.ok() ? Status() : Status(r.error());
        break;
    }
    case Level::User:
        result = s.directory().setUserPolicy(m_id, p.isEmpty() ? std::nullopt : std::optional(p), Console::actor(),
                                             m_loadedVersion);
        break;
    }
    if (!result.ok()) {
        banner()->showError(result.error().code == Error::Code::Conflict
                                ? tr("Not saved: someone else changed this policy since it was opened. Revert to see "
                                     "their change, then make yours again.")
                                : tr("Not saved: %1").arg(result.error().message));
        return false;
    }
    banner()->showInfo(tr("Saved. The gateway applies it from the next request."));
    load();
    return true;
}

void PoliciesPage::revert() { load(); }

} // namespace tollgate
