#include "ui/users/userdialog.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/widgets/moneyedit.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>

namespace tollgate {

UserDialog::UserDialog(Service& service, std::optional<User> existing, QWidget* parent)
    : QDialog(parent)
    , m_service(service)
    , m_existing(std::move(existing))
{
    setWindowTitle(m_existing ? tr("Edit user") : tr("New user"));
    auto* form = new QFormLayout(this);
    m_name = new QLineEdit(this);
    m_email = new QLineEdit(this);
    m_status = new QComboBox(this);
    m_status->addItem(tr("Active"), int(UserStatus::Active));
    m_status->addItem(tr("Inactive"), int(UserStatus::Inactive));
    form->addRow(tr("Name:"), m_name);
    form->addRow(tr("Email:"), m_email);
    form->addRow(tr("Status:"), m_status);
    if (m_existing) {
        m_name->setText(m_existing->name);
        m_email->setText(m_existing->email);
        m_status->setCurrentIndex(m_existing->status == UserStatus::Active ? 0 : 1);
    } else {
        auto* limit = new MoneyEdit(QStringLiteral("monthlyLimit"), std::nullopt, this);
        const auto def = service.directory().organization().defaultUserMonthlyLimit;
        limit->setPlaceholderText(def ? tr("default: %1").arg(format::money(*def)) : tr("none"));
        m_limit = limit->lineEdit();
        form->addRow(tr("Monthly limit ($):"), limit);
    }
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #a61b1b"));
    m_error->setWordWrap(true);
    m_error->hide();
    form->addRow(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &UserDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &UserDialog::reject);
    form->addRow(buttons);
    setMinimumWidth(420);
}

void UserDialog::accept()
{
    format::markInvalid(m_name, {});
    format::markInvalid(m_email, {});
    const auto refuse = [this](QLineEdit* field, const QString& why) {
        if (field)
            format::markInvalid(field, why);
        m_error->setText(why);
        m_error->show();
    };
    const QString email = m_email->text().trimmed();
    if (m_name->text().trimmed().isEmpty())
        return refuse(m_name, tr("The name must not be empty."));
    if (!email.contains(u'@') || email.startsWith(u'@') || email.endsWith(u'@'))
        return refuse(m_email, tr("The email must look like name@example.org."));
    if (m_existing) {
        User u = *m_existing;
        u.name = m_name->text().trimmed();
        u.email = email;
        u.status = UserStatus(m_status->currentData().toInt());
        auto r = m_service.directory().updateUser(u, Console::actor());
        if (!r.ok())
            return refuse(r.error().field == u"email" ? m_email : m_name, r.error().message);
        m_savedId = u.id;
    } else {
        auto limit = format::optionalDollars(m_limit->text(), tr("monthly limit"));
        if (!limit.ok())
            return refuse(m_limit, limit.error().message);
        NewUser n;
        n.name = m_name->text().trimmed();
        n.email = email;
        n.status = UserStatus(m_status->currentData().toInt());
        n.monthlyLimit = limit.value();
        auto r = m_service.directory().createUser(n, Console::actor());
        if (!r.ok())
            return refuse(r.error().field == u"email" ? m_email : m_name, r.error().message);
        m_savedId = r->id;
    }
    QDialog::accept();
}

} // namespace tollgate
